"""The data subject: the one record every PI row and every audit record points at (Z-8)."""

import uuid

from django.db import models


class SubjectKind(models.TextChoices):
    ACCOUNT_HOLDER = "account_holder", "Account holder"
    VISITOR = "visitor", "Website visitor"
    LEAD = "lead", "Lead (left contact details)"
    CAMPAIGN_CONTACT = "campaign_contact", "Offline campaign contact"
    PARTNER_PERSON = "partner_person", "Person supplied by a partner"


class SubjectStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESTRICTED = "restricted", "Restricted (processing limited, e.g. legal hold)"
    CANCELLED = "cancelled", "Account cancelled"
    ERASED = "erased", "Erased (only a tombstone remains)"


class Subject(models.Model):
    """A person piwarden holds data about, known only by an opaque id.

    It holds no PI itself, so it can outlive erasure as a tombstone that keeps the audit
    trail's references valid.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=SubjectKind.choices)
    status = models.CharField(
        max_length=16, choices=SubjectStatus.choices, default=SubjectStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.id}"
