"""Content that names or shows a person, published only with their separate consent for that
item (PIPL Art. 25, policy §4.3).

The consent itself lives in the one consent ledger (``consents``); an item only holds its
content and its publishing lifecycle.
"""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject

# The catalog's purpose, separate-consent scope and activity of public disclosure.
PURPOSE = "disclosure.public"
SCOPE = "separate.public_disclosure"
ACTIVITY = "disclosure.public_with_consent"
LEGAL_BASIS = "consent.separate"


class Kind(models.TextChoices):
    TESTIMONIAL = "testimonial", _("Testimonial")
    CASE_STUDY = "case_study", _("Case study")
    PHOTO = "photo", _("Photo")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_CONSENT = "awaiting_consent", _("Awaiting the person's consent")
    PUBLISHED = "published", _("Published")
    TAKEN_DOWN = "taken_down", _("Taken down")


class TakedownReason(models.TextChoices):
    CONSENT_ENDED = "consent_ended", _("The person's consent ended")
    STAFF = "staff", _("Taken down by staff")
    ERASURE = "erasure", _("The person's data was erased")


class PublishedItem(models.Model):
    """One testimonial, case study or photo about one person. Its content is fixed once
    consent is asked for: the person agrees to exactly this text and image."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_zh = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    image = models.BinaryField(null=True, blank=True, editable=False)
    image_type = models.CharField(max_length=32, blank=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    consent_requested_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    taken_down_at = models.DateTimeField(null=True, blank=True)
    takedown_reason = models.CharField(max_length=16, choices=TakedownReason.choices,
                                       blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-published_at"])]
        permissions = [("publish_publisheditem", "Can publish and take down public items")]

    def __str__(self):
        return f"{self.get_kind_display()} {str(self.pk)[:8]}"

    def digest(self) -> str:
        """A fingerprint of the content the person agrees to: a changed text or image is a
        different item, which needs its own consent."""
        content = hashlib.sha256()
        for part in (self.kind, self.title_zh, self.title_en, self.body_zh, self.body_en):
            content.update(part.encode() + b"\x00")
        content.update(bytes(self.image or b""))
        return content.hexdigest()
