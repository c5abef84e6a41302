"""Alerts: one model for everything staff must look at (conventions, "Pieces built once").

Egress refusals, cross-border thresholds, overdue deadlines, anomalies, stuck tasks and missed
drills all land here, in one console list with one notification path to staff. An alert holds
references (keys, hosts, ids) and a summary, never PI values, so it may be kept and e-mailed.
Written only by ``alerts.services``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from piwarden.subjects.models import Subject


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """Something went wrong or nearly did; staff acknowledge it and resolve it."""

    kind = models.CharField(max_length=64, help_text="Dotted name, e.g. egress.refused.")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    source = models.CharField(max_length=160, help_text="The job, actor or check that raised it.")
    summary = models.CharField(max_length=300, help_text="What happened, without PI values.")
    detail = models.JSONField(default=dict, blank=True,
                              help_text="References (keys, hosts, ids), never PI values.")
    subjects = models.ManyToManyField(Subject, through="AlertSubject", related_name="alerts",
                                      blank=True, help_text="The people it concerns.")
    objects_concerned = models.JSONField(
        default=list, blank=True, help_text='Other objects it concerns, as "app.model:pk".')
    status = models.CharField(max_length=16, choices=AlertStatus.choices,
                              default=AlertStatus.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_alerts")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "severity"]),
                   models.Index(fields=["kind", "created_at"])]

    def __str__(self):
        return f"{self.get_severity_display()} {self.kind}: {self.summary}"


class AlertSubject(models.Model):
    """A person an alert concerns (in the subject-data registry: exported, kept on erasure)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="subject_links")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="alert_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "subject"],
                                               name="alerts_one_link_per_subject")]

    def __str__(self):
        return f"alert {self.alert_id} → {self.subject_id}"
