"""Rights requests (policy §VI, §IX; PIPL Art. 44-50): what the person asked, where it stands,
when it is due, and every step it went through.

PI never sits in these tables: free-text details (the corrected value, a question) are kept in
the vault (field ``rights_details``, one JSON object per subject keyed by request id); the
columns hold ids, keys of the catalog and staff notes. The evidence file is sealed
(``vault/files.py``) under the person's vault value ``rights_evidence_key``.
"""

import uuid

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piwarden.subjects.models import Subject


class RequestType(models.TextChoices):
    ACCESS = "access", _("Access (a copy of my data)")
    PORTABILITY = "portability", _("Portability (machine-readable export)")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")
    WITHDRAWAL = "withdrawal", _("Withdrawal of authorization")
    CANCELLATION = "cancellation", _("Account cancellation")
    EXPLANATION = "explanation", _("Explanation of processing")
    COMPLAINT = "complaint", _("Complaint")


class RequestChannel(models.TextChoices):
    PRIVACY_CENTER = "privacy_center", _("Privacy center")
    PUBLIC_FORM = "public_form", _("Public form")
    API = "api", _("API")
    STAFF = "staff", _("Staff entry (written or e-mailed request)")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("request status", "Received")
    VERIFYING = "verifying", _("Verifying identity")
    VERIFIED = "verified", _("Identity verified")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn by you")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.VERIFYING, RequestStatus.VERIFIED,
                 RequestStatus.IN_PROGRESS)
CLOSED_STATUSES = (RequestStatus.COMPLETED, RequestStatus.REFUSED, RequestStatus.WITHDRAWN)


class RightsRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="rights_requests")
    type = models.CharField(max_length=16, choices=RequestType.choices)
    channel = models.CharField(max_length=16, choices=RequestChannel.choices)
    status = models.CharField(max_length=16, choices=RequestStatus.choices,
                              default=RequestStatus.RECEIVED)
    received_at = models.DateTimeField(default=timezone.now)
    due_date = models.DateField()
    # True when the due date was computed from the statutory fallback, not the official calendar.
    due_provisional = models.BooleanField(default=False)
    # Non-PI parameters: categories to delete, purpose to withdraw, field to correct, language.
    params = models.JSONField(default=dict, blank=True)
    has_details = models.BooleanField(default=False)
    staff_note = models.TextField(blank=True, help_text="What evidence is still needed, shown "
                                  "to the person. Never write PI here.")
    refusal_reason = models.TextField(blank=True)
    answer = models.TextField(blank=True, help_text="Staff answer to an explanation or complaint.")
    # The written or e-mailed request, sealed under the person's vault key (vault/files.py).
    evidence = models.FileField(upload_to="rights/evidence/%Y/%m/", blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    export_archive_id = models.UUIDField(null=True, blank=True)
    erasure_run_id = models.UUIDField(null=True, blank=True)
    cooling_off_until = models.DateTimeField(null=True, blank=True)
    cancellation_started_at = models.DateTimeField(null=True, blank=True)
    # During a cancellation the contact address is kept under this separate subject's vault key,
    # so the confirmation can reach the person after their own key is destroyed.
    contact_holder = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "received_at"]
        indexes = [models.Index(fields=["status", "due_date"])]
        permissions = [("view_evidence", "Can open the evidence file of a request (audited)")]

    def __str__(self):
        return f"{self.get_type_display()} {str(self.id)[:8]}"

    def get_absolute_url(self) -> str:
        return reverse("rights:detail", args=[self.id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()


class RequestEvent(models.Model):
    """One step of a request's history, shown to the person and to staff (never PI)."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    status_from = models.CharField(max_length=16, blank=True)
    status_to = models.CharField(max_length=16)
    actor = models.CharField(max_length=80)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.status_from or '-'} → {self.status_to}"

    @property
    def status_label(self) -> str:
        return RequestStatus(self.status_to).label


class OfficialDay(models.Model):
    """A day of the official schedule the operator loaded (State Council notice); it overrides
    both chinesecalendar and the statutory fallback."""

    date = models.DateField(unique=True)
    is_workday = models.BooleanField()
    note = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"


class CodeChallenge(models.Model):
    """A verification code sent by the public form, with its attempt counter.

    Kept in the database, not the session, so parallel guesses share one counter: each guess
    takes an attempt by a conditional UPDATE before it is compared, and the code dies once the
    attempts are used. Holds a keyed digest of the code, never the code or the address; a
    challenge for an address not on file has no subject (the page answers the same).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    digest = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    used = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"code challenge {self.pk}"
