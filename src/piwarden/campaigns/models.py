"""Offline campaigns (policy §2.1(4)): staff, or a partner's staff, record the people they meet.

No column holds PI. Each entry gets its own subject of kind ``campaign_contact``; its name,
title, phone number, e-mail address and occupational background are that subject's vault values,
and the signed consent form's scan is stored once, encrypted (see ``vault/files.py``), as the
evidence of the entry's consent grant.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    location = models.CharField(max_length=200, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Partner staff access ends with this day.")
    partner = models.CharField(
        max_length=64, blank=True,
        help_text="Catalog recipient key of the partner staffing the campaign, if any.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                              name="campaigns_ends_after_start")]

    def __str__(self):
        return f"{self.name} ({self.starts_on} to {self.ends_on})"

    def is_running(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.starts_on <= today <= self.ends_on


class CampaignAccess(models.Model):
    """A partner's staff member: a login limited to adding entries to ONE campaign, until it ends.

    The ``User`` is not staff and has no permissions; its username is a work id chosen by the
    operator, not the person's name.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="campaign_access")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="accesses")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "partner staff access"
        verbose_name_plural = "partner staff access"

    def __str__(self):
        return f"{self.user} → {self.campaign}"

    def is_valid(self, today=None) -> bool:
        """Also ends with the partner's standing in the registry: a suspended partner, or a
        processor whose contract has ended, has no access from the next day (S-4.1.1e)."""
        from piwarden.sharing.selectors import credentials_ended

        return (self.revoked_at is None and self.user.is_active
                and self.campaign.is_running(today)
                and not (self.campaign.partner
                         and credentials_ended(self.campaign.partner, today)))


class EntryVia(models.TextChoices):
    CONSOLE = "console", _("Staff console")
    PARTNER = "partner", _("Partner staff page")


class CampaignEntry(models.Model):
    """One person met at a campaign, with the consent form they signed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="entries")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE,
                                related_name="campaign_entries")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    via = models.CharField(max_length=8, choices=EntryVia.choices)
    notice_version = models.CharField(max_length=32,
                                      help_text="The notice version printed on the form.")
    consent_event = models.ForeignKey(
        "consent.ConsentEvent", null=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The grant for campaign.offline; its evidence is the encrypted scan.")
    scan_content_type = models.CharField(max_length=32)
    fields = models.JSONField(default=list, help_text="Vault fields given (names, no values).")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_by = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="claimed_campaign_entries")
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "campaign entries"
        permissions = [("view_scan", "Can view consent form scans (audited, with a reason)")]

    def __str__(self):
        return f"Entry {self.id} ({self.campaign_id})"
