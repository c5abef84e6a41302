"""The writers of the task queue that callers use: queue a task once, and staff's retry.

A job's own life (claimed, renewed, succeeded, failed, dead) is written by the worker that runs
it (``jobs.worker``); those rows hold task paths and ids, no PI, and the job table is their
record, so they are not audited one by one. A staff retry is audited (``jobs.retried``).
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks.base import Task, TaskResult

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError
from piwarden.jobs.backend import JobBackend, notify_workers
from piwarden.jobs.models import Job, JobStatus

PRUNE_CHUNK = 5000  # succeeded jobs deleted per transaction


class JobError(ServiceError):
    """A job that cannot be changed as asked."""


def enqueue_once(task: Task, *, key: str, run_after: datetime.datetime | None = None,
                 args=(), kwargs: dict | None = None) -> TaskResult | None:
    """Queue ``task`` unless a ready or running job with the dedupe ``key`` exists; returns
    the queued result, or None when one was already there.

    Race-safe: the partial unique constraint on ``Job.dedupe_key`` decides (the insert runs in
    a savepoint), so of two callers at the same moment one queues and the other gets None. A
    running job that queues its own successor under its own key (a recurring task) hands the
    key on. Under a backend other than ``JobBackend`` (tests swap in the immediate or dummy
    one) the task is simply enqueued: there is no queue to look in.
    """
    if run_after is not None:
        task = task.using(run_after=run_after)
    backend = task.get_backend()
    if not isinstance(backend, JobBackend):
        return task.enqueue(*args, **(kwargs or {}))
    return backend.enqueue_unique(task, args, kwargs or {}, key=key)


def enqueue_with_caller(task: Task, *args, key: str | None = None, **kwargs) -> None:
    """Queue ``task`` as part of the caller's transaction: the job row commits, or rolls back,
    with the work that asks for it. Queued after the commit instead, a process that died
    between the two lost the job, and the work it was for (an export, an erasure, an alert's
    mail) stayed undone with nothing left to resume it. ``key``: queue it once
    (``enqueue_once``). Under another backend (tests swap in the immediate one, which runs the
    task at once) it is queued when the transaction commits, so a task never runs on rows that
    may still roll back."""
    def queue():
        if key is None:
            task.enqueue(*args, **kwargs)
        else:
            enqueue_once(task, key=key, args=args, kwargs=kwargs)

    if isinstance(task.get_backend(), JobBackend):
        queue()
    else:
        transaction.on_commit(queue)


def _retryable(job: Job, now: datetime.datetime) -> bool:
    if job.status == JobStatus.DEAD:
        return True
    # Stuck: running, but no worker renews its lease (a worker will take it again anyway).
    return job.status == JobStatus.RUNNING and (job.lease_until is None
                                                or job.lease_until < now)


@transaction.atomic
def retry(*, actor: Actor, job: Job) -> Job:
    """Put a dead (or stuck) job back to ``ready`` now, with its attempts reset; the last
    error stays until the next attempt. JobError NOT_RETRYABLE (409) otherwise."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    now = timezone.now()
    if not _retryable(job, now):
        raise JobError("NOT_RETRYABLE", "Only a dead job, or a running one whose worker is "
                                        "gone, can be retried.", status=409)
    previous = {"status": job.status, "attempts": job.attempts}
    job.status, job.attempts, job.run_after = JobStatus.READY, 0, now
    job.lease_until = job.finished_at = None
    fields = ["status", "attempts", "run_after", "lease_until", "finished_at", "dedupe_key"]
    try:
        with transaction.atomic():
            job.save(update_fields=fields)
    except IntegrityError:  # another job with its dedupe key is waiting: this one runs too
        job.dedupe_key = None
        job.save(update_fields=fields)
    audit.record(actor=actor, action="jobs.retried", obj=job,
                 detail={"task": job.task_path, "from": previous["status"],
                         "attempts": previous["attempts"]})
    notify_workers()
    return job


def prune_succeeded(*, now: datetime.datetime | None = None) -> int:
    """Delete succeeded jobs that finished more than ``PIWARDEN_JOBS_KEPT_DAYS`` ago, in
    chunks (short transactions: the worker keeps claiming meanwhile); returns how many.

    Without it the table grows by every delivery, erasure round and recurring run, and the
    claim's index with it. Dead jobs are kept: they wait for staff (retry or inspect)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.PIWARDEN_JOBS_KEPT_DAYS)
    old = Job.objects.filter(status=JobStatus.SUCCEEDED, finished_at__lt=cutoff)
    deleted = 0
    while chunk := list(old.values_list("pk", flat=True)[:PRUNE_CHUNK]):
        deleted += Job.objects.filter(pk__in=chunk).delete()[0]
    return deleted
