"""The privacy policy as versioned data (docs/policy.md).

A ``PolicyVersion`` is a snapshot of one catalog release plus the terms the catalog lacks
(catalog/policy-terms.yaml). Once published it is evidence of what people were told: the ORM
refuses to change or delete it, and ``services.publish`` is the only way to publish.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PublishedVersionError(ValueError):
    """A published version was about to be changed or deleted."""


class PolicyVersion(models.Model):
    version = models.CharField(
        max_length=32, unique=True, help_text="The catalog's policy version string (2026.1).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    catalog_release = models.ForeignKey(
        "catalog.CatalogRelease", on_delete=models.PROTECT, related_name="policy_versions")
    snapshot = models.JSONField(help_text="The structured policy (policy/snapshot.py).")
    classification = models.JSONField(
        default=dict, blank=True,
        help_text="The diff against the previous published version: changes, reductions, "
                  "major categories (policy/diff.py).")
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The published version this one was compared with.")
    effective_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.CharField(max_length=160, blank=True)
    # notify.Campaign ids, kept as plain references so this app does not depend on notify's
    # migrations.
    reconsent_campaign = models.CharField(max_length=64, blank=True)
    notice_campaign = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=160, blank=True)

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]

    def __str__(self):
        return f"{self.version} ({self.status})"

    def save(self, *args, **kwargs):
        if self.pk is not None and PolicyVersion.objects.filter(
                pk=self.pk, status=Status.PUBLISHED).exists():
            raise PublishedVersionError(f"Policy version {self.version} is published and "
                                        "immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == Status.PUBLISHED:
            raise PublishedVersionError(f"Policy version {self.version} is published and is "
                                        "never deleted.")
        return super().delete(*args, **kwargs)


class AcceptedHow(models.TextChoices):
    CONSENT = "consent", _("Consent submission")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledged the change notice")
    RECONSENT = "reconsent", _("Re-consented after a reduction")


class PolicyAcceptance(models.Model):
    """Which policy version a person accepted, when and how (the terms they are on)."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE,
                                related_name="policy_acceptances")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT,
                                related_name="acceptances")
    accepted_at = models.DateTimeField(default=timezone.now)
    how = models.CharField(max_length=16, choices=AcceptedHow.choices)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subject", "version"],
                                               name="policy_one_acceptance_per_version")]

    def __str__(self):
        return f"{self.subject_id} accepted {self.version_id} ({self.how})"
