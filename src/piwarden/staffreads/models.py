"""Just-in-time unmasking of sensitive PI (D-1.3, V-5.1b): a request with a reason, approved
by a second person where the catalog says so, valid for a short window."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject


class UnmaskStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second approver")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class UnmaskRequest(models.Model):
    """One staff member's request to see one sensitive vault field of one person in full.

    Holds no PI value: the reveal within the window goes through ``vault.services.reveal``.
    """

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="unmask_requests")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=64)
    category = models.CharField(max_length=64)
    purpose = models.CharField(max_length=64)
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=UnmaskStatus.choices,
                              default=UnmaskStatus.PENDING, db_index=True)
    needs_second_approver = models.BooleanField(default=False)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["requester", "subject", "field"])]

    def __str__(self):
        return f"Unmask request #{self.pk} ({self.field})"
