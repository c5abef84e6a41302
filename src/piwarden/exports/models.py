"""Staff file exports of PI and their approvals (V-5.1a: controls follow the grade).

A ``FileExport`` is asked for before the file exists. One that includes a sensitive (L4)
category waits for approval by privacy officers other than the requester (two when a category
has ``second_approver``); the file is built once, for the requester only, and carries a
watermark naming them. Rows hold references (a source key, row ids, column names), never values.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    DOWNLOADED = "downloaded", _("Downloaded")


class FileExport(models.Model):
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    source = models.CharField(max_length=100, help_text="The registered source (sources.py).")
    params = models.JSONField(default=dict, help_text="Row ids and column names, no values.")
    categories = models.JSONField(default=list)
    grade = models.CharField(max_length=16)
    approvals_needed = models.PositiveSmallIntegerField(default=0)
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"export {self.pk} ({self.source})"


class Approval(models.Model):
    """One approver's yes; an approver approves an export once."""

    export = models.ForeignKey(FileExport, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["export", "approver"],
                                               name="exports_one_approval_per_person")]

    def __str__(self):
        return f"approval of export {self.export_id}"
