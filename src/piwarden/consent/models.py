"""The consent ledger: immutable events, the state derived from them, and operator exceptions.

Events are the evidence and are never changed; ``ConsentState`` is a cache of the latest event
per subject, purpose and scope, written in the same transaction as the event.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject


class Scope(models.TextChoices):
    """General consent, or one of the PIPL cases that need their own, separate consent."""

    GENERAL = "general", _("General consent")
    SENSITIVE = "separate.sensitive", _("Separate consent: sensitive PI (Art. 29)")
    THIRD_PARTY = "separate.third_party", _("Separate consent: provision to another handler "
                                            "(Art. 23)")
    PUBLIC_DISCLOSURE = "separate.public_disclosure", _("Separate consent: disclosure (Art. 25)")
    CROSS_BORDER = "separate.cross_border", _("Separate consent: cross-border transfer "
                                              "(Art. 39)")


class Choice(models.TextChoices):
    GRANT = "grant", _("Granted")
    REFUSE = "refuse", _("Refused")
    WITHDRAW = "withdraw", _("Withdrawn")


class Channel(models.TextChoices):
    WEB = "web", _("Privacy-center page")
    BANNER = "banner", _("Cookie banner")
    API = "api", _("Website or app")
    OFFLINE = "offline", _("Offline paper form")
    LINK = "link", _("Unsubscribe link")
    VISITOR_LINK = "visitor_link", _("Cookie choice carried over at sign-in")
    GUARDIAN = "guardian", _("Given by a guardian for a minor under 14 (PIPL Art. 31)")


class Notice(models.Model):
    """The exact text a person was shown when they chose, stored once per distinct text."""

    sha256 = models.CharField(max_length=64, unique=True)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.sha256[:12]


class ConsentEvent(models.Model):
    """One grant, refusal or withdrawal. Never updated; the ORM refuses it."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="consent_events")
    purpose = models.CharField(max_length=64, db_index=True)
    scope = models.CharField(max_length=32, choices=Scope.choices, default=Scope.GENERAL)
    recipient = models.CharField(
        max_length=64, blank=True, default="",
        help_text="The catalog recipient a separate consent was given for (PIPL Art. 23); "
                  "empty for consents that are not about a recipient.")
    choice = models.CharField(max_length=16, choices=Choice.choices)
    bundled = models.BooleanField(
        default=False, help_text="Given through a bundled control such as 'accept all'.",
    )
    policy_version = models.CharField(max_length=32)
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="events")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    evidence = models.FileField(
        upload_to="consent/evidence/%Y/%m/", blank=True,
        help_text="The scanned paper form, for offline consent, sealed (vault/files.py).",
    )
    # What the sealed evidence is bound to (the row id is not known before the file is
    # written); empty when the evidence was sealed by another app (a campaign entry's scan).
    evidence_id = models.UUIDField(null=True, blank=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now)
    ip_prefix = models.CharField(max_length=64, blank=True, help_text="Truncated IP address.")
    user_agent = models.CharField(max_length=300, blank=True)
    actor_kind = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64)
    request_id = models.CharField(max_length=64, blank=True)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The visitor's cookie choice this event carries over to an account.",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["subject", "purpose", "scope", "-occurred_at"])]
        permissions = [("view_evidence", "Can open paper consent scans (audited)")]

    def __str__(self):
        return f"{self.choice} {self.purpose} ({self.scope})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Consent events are immutable; record a new event instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Consent events are evidence and are never deleted one by one.")


class ConsentState(models.Model):
    """The latest choice per subject, purpose and scope: what decisions read."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="consent_states")
    purpose = models.CharField(max_length=64)
    scope = models.CharField(max_length=32, choices=Scope.choices)
    recipient = models.CharField(max_length=64, blank=True, default="")
    choice = models.CharField(max_length=16, choices=Choice.choices)
    policy_version = models.CharField(max_length=32)
    changed_at = models.DateTimeField()
    event = models.ForeignKey(ConsentEvent, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["subject", "purpose", "scope", "recipient"],
            name="consent_state_one_per_scope_recipient")]

    def __str__(self):
        to = f" → {self.recipient}" if self.recipient else ""
        return f"{self.purpose} ({self.scope}){to}: {self.choice}"


class Visitor(models.Model):
    """An anonymous browser that made a cookie choice, known only by its random id."""

    visitor_id = models.UUIDField(unique=True)
    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="visitor")
    linked_to = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The account this browser's choices were carried over to at sign-in.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"visitor {str(self.visitor_id)[:8]}"


class BasisException(models.Model):
    """An operator's record that a §4.4 exception lets a purpose go ahead without consent."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="exceptions")
    purpose = models.CharField(max_length=64)
    legal_basis = models.CharField(max_length=64)
    reason = models.TextField()
    recorded_by = models.CharField(max_length=100)
    recorded_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.purpose} under {self.legal_basis}"


class ErasureStatus(models.TextChoices):
    PENDING = "pending", "Scheduled"
    DONE = "done", "Erased"
    CANCELLED = "cancelled", "Cancelled (consent given again)"


class ScheduledErasure(models.Model):
    """Data held only on a withdrawn consent, due for deletion (PIPL Art. 47)."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="erasures")
    purpose = models.CharField(max_length=64)
    categories = models.JSONField(default=list)
    withdrawal = models.ForeignKey(ConsentEvent, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ErasureStatus.choices, default=ErasureStatus.PENDING,
    )
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self):
        return f"erase {self.purpose} data by {self.due_at:%Y-%m-%d}"
