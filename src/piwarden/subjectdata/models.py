"""Exports (access and portability copies) and erasure runs of one data subject.

Neither table holds PI: an archive's contents live encrypted in a file under
``DATA_DIR/exports/``, and a run's progress and certificate hold source names and counts only.
"""

import uuid

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject


class ArchiveStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready to download")
    EXPIRED = "expired", _("Expired (file deleted)")
    FAILED = "failed", _("Failed")


class ExportArchive(models.Model):
    """One ZIP copy of everything held about a subject, encrypted at rest until it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(max_length=16, choices=ArchiveStatus.choices,
                              default=ArchiveStatus.PENDING)
    lang = models.CharField(max_length=8, default="en")
    request_ref = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    downloads = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes of the ZIP (plaintext).")
    sources = models.JSONField(default=dict, blank=True,
                               help_text="Source name → number of rows exported.")
    # The archive's own AES-256 key, wrapped by the vault's master key provider.
    master_version = models.PositiveIntegerField(null=True, blank=True)
    wrapped_key = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"export {self.id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("subjectdata:export", args=[self.id])


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class ErasureRun(models.Model):
    """Erasure of a subject's data, one registered source per transaction (resumable)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="erasure_runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices,
                              default=RunStatus.PENDING)
    categories = models.JSONField(null=True, blank=True,
                                  help_text="Empty means all of the subject's data.")
    reason = models.CharField(max_length=300)
    request_ref = models.CharField(max_length=64, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    certificate = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"erasure {self.id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("subjectdata:certificate", args=[self.id])


class CertificateLink(models.Model):
    """A link to a finished run's deletion certificate that works without an account (issue 17
    point 11): after a full deletion or an account cancellation there is no login left.

    Only the SHA-256 of the link's random token is stored (the token itself is in the e-mail
    alone); the link names no person and lives ``LINK_DAYS`` days. The address the e-mail went
    to is not kept here: see ``rights.services.on_subjectdata_done``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(ErasureRun, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"certificate link {self.id}"
