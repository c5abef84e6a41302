"""Notification campaigns: telling many people at once (docs/notify.md).

A ``Campaign`` is one notice (a registered template filled with its fields in both languages)
to one audience (a registered query) through an ordered list of channels. Sending creates one
``Delivery`` per person, whatever the channels (unique per campaign and person), handed to the
channel the person can be reached by. No PI value lives here: contacts are read from the vault
at sending time and wait sealed in the outbox; a delivery holds the channel, its state and the
outbox message that carries it.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Security incident")
    POLICY_CHANGE = "policy_change", _("Privacy policy change")
    DISCONTINUATION = "discontinuation", _("Service discontinuation")
    CORPORATE_TRANSACTION = "corporate_transaction", _("Merger, division or transfer")
    OTHER = "other", _("Other notice")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    SITE = "site", _("Site message")
    PHONE = "phone", _("Phone call by staff")
    ANNOUNCEMENT = "announcement", _("Public announcement")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting a second approval")
    APPROVED = "approved", _("Approved")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")          # outbox not done / message not shown / not called
    SENT = "sent", _("Delivered")             # accepted by the server / shown / called
    FAILED = "failed", _("Failed")            # given up by the outbox / not reached by phone
    UNREACHABLE = "unreachable", _("No channel")


class Campaign(models.Model):
    """One notice to one audience; counts are cached here as the job goes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    template = models.CharField(_("template"), max_length=64)
    fields = models.JSONField(_("fields"), default=dict, blank=True,
                              help_text=_("The template's field values per language."))
    audience = models.CharField(_("audience"), max_length=64)
    audience_params = models.JSONField(_("audience parameters"), default=dict, blank=True)
    channels = models.JSONField(_("channels"), default=list,
                                help_text=_("In order of preference."))
    require_ack = models.BooleanField(_("acknowledgement asked"), default=False)
    concerns_type = models.CharField(max_length=100, blank=True)
    concerns_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT)
    created_by = models.CharField(_("created by"), max_length=160)
    approved_by = models.CharField(_("approved by"), max_length=160, blank=True)
    audience_size = models.PositiveIntegerField(_("audience size"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    cursor = models.CharField(max_length=64, blank=True,
                              help_text="The last subject id handed out (the job resumes "
                                        "after it).")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification campaign")
        verbose_name_plural = _("notification campaigns")

    def __str__(self):
        return self.title


class Delivery(models.Model):
    """One person's notice of one campaign (one row whatever the channels)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE,
                                related_name="notify_deliveries")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    message = models.ForeignKey("outbox.Message", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("outbox message"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    shown_at = models.DateTimeField(_("shown"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    called_by = models.CharField(max_length=160, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["campaign", "subject"],
                                               name="notify_one_delivery_per_person")]
        indexes = [models.Index(fields=["campaign", "status"]),
                   models.Index(fields=["subject", "channel"])]

    def __str__(self):
        return f"{self.campaign_id} → {self.subject_id} ({self.channel})"


class PhoneTask(Delivery):
    """The staff's call list: deliveries whose channel is a phone call (a proxy, no table)."""

    class Meta:
        proxy = True
        verbose_name = _("phone-call task")
        verbose_name_plural = _("phone-call tasks")


class Announcement(models.Model):
    """A public notice on the home page, for when individual notice is impossible."""

    campaign = models.OneToOneField(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="announcement")
    title_en = models.CharField(max_length=200)
    title_zh = models.CharField(max_length=200)
    body_en = models.TextField()
    body_zh = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self):
        return self.title_en
