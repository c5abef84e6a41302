"""Call-back requests ("leads", policy §2.1(2)): contact details a visitor leaves on the site.

No column holds PI: the phone number, e-mail address and name are the lead subject's vault
values (``phone``, ``email``, ``name``) and the message is ``leads_message``. One person is one
subject of kind ``lead`` (found again through the vault's blind index), which can hold several
requests over time; only the open request has a message.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject


class LeadStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed (handled; the message is deleted)")


class LeadChannel(models.TextChoices):
    FORM = "form", _("Contact form")
    API = "api", _("API")


class Lead(models.Model):
    """One request to be contacted, with what was given (flags only, values in the vault)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="leads")
    status = models.CharField(max_length=8, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    channel = models.CharField(max_length=8, choices=LeadChannel.choices)
    notice_version = models.CharField(max_length=32)
    consent_event = models.ForeignKey(
        "consent.ConsentEvent", null=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The grant of 'you may contact me' recorded with the latest submission.")
    submissions = models.PositiveIntegerField(default=1)
    has_message = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_submitted_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The account holder who claimed this request as theirs (their account's subject).
    claimed_by = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="claimed_leads")
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["subject"], condition=Q(status="open"),
                                    name="leads_one_open_request_per_subject"),
        ]
        permissions = [("close_lead", "Can mark a call-back request handled")]

    def __str__(self):
        return f"Lead {self.id} ({self.status})"
