"""The task queue: one ``Job`` row per queued run of a task, and one ``WorkerBeat`` row per live
worker process (docs/jobs.md).

A job is claimed by a worker for a lease (``lease_until``) that the worker's heartbeat keeps
renewing; a worker that dies stops renewing, and once the lease has passed any worker takes the
job again. Failed runs go back to ``ready`` after a back-off until ``max_attempts``, then the job
is ``dead`` and an alert is raised. Jobs carry references (ids) as arguments, never PI values,
and ``last_error`` keeps the exception's class and stack only, never its message.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    READY = "ready", "Ready"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    DEAD = "dead", "Dead (given up)"


# A dedupe key is held while its job is waiting or running; a finished job lets go of it.
PENDING = (JobStatus.READY, JobStatus.RUNNING)


def default_max_attempts() -> int:
    return settings.PIWARDEN_TASK_MAX_ATTEMPTS


class Job(models.Model):
    """One queued run of a task (``task_path`` names the ``@task`` function)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_path = models.CharField(max_length=255)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    queue_name = models.CharField(max_length=32, default="default")
    priority = models.SmallIntegerField(default=0, help_text="-100 to 100; higher runs first.")
    status = models.CharField(max_length=16, choices=JobStatus.choices,
                              default=JobStatus.READY)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=default_max_attempts)
    run_after = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When the last attempt started.")
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A running job whose lease has passed is taken again.")
    worker_id = models.CharField(max_length=160, blank=True,
                                 help_text="The worker of the last attempt (host:pid:random).")
    last_error = models.TextField(
        blank=True, help_text="Exception class and stack of the last failure (no message).")
    return_value = models.JSONField(null=True, blank=True)
    # NULL, not "": a job without a key takes no part in the unique constraint.
    dedupe_key = models.CharField(  # noqa: DJ001
        max_length=200, null=True, blank=True,
        help_text="At most one ready or running job holds a given key (enqueue_once).")

    class Meta:
        ordering = ["-enqueued_at"]
        indexes = [
            # The claim: ready jobs by priority then due time; expired leases of running ones.
            models.Index(fields=["status", "-priority", "run_after"], name="jobs_claim_idx"),
            models.Index(fields=["status", "lease_until"], name="jobs_lease_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], condition=models.Q(status__in=PENDING),
                                    name="jobs_one_pending_job_per_dedupe_key"),
            models.CheckConstraint(condition=models.Q(priority__gte=-100, priority__lte=100),
                                   name="jobs_priority_range"),
        ]

    def __str__(self):
        return f"{self.task_name} {self.pk} ({self.status})"

    @property
    def task_name(self) -> str:
        return self.task_path.rsplit(".", 1)[-1]

    @property
    def error_class(self) -> str:
        """The exception class of the last failure (the first line of ``last_error``)."""
        return self.last_error.split("\n", 1)[0]


class WorkerBeat(models.Model):
    """A live worker process: its heartbeat, and the job it is running. Removed when the
    worker stops cleanly; the row of a killed worker stays, its beat growing old."""

    worker_id = models.CharField(max_length=160, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now)
    current_job_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self):
        return self.worker_id
