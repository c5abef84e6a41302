"""``JobBackend``: Django's Tasks API (``@task()``, ``.enqueue()``, ``.using(run_after=...)``) on
the ``jobs.Job`` table, run by ``piwarden worker`` (docs/jobs.md).

``enqueue`` writes the job in the caller's transaction (or its own one) and, on PostgreSQL,
``NOTIFY piwarden_jobs`` in the same transaction: the notification is delivered at the commit,
so a sleeping worker wakes at once and never sees a job that rolled back.
"""

import contextvars
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskError, TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks.signals import task_enqueued
from django_tasks.utils import normalize_json

log = logging.getLogger(__name__)

CHANNEL = "piwarden_jobs"
# The job this thread is running (set by the worker): a task that queues its own successor
# under its own dedupe key hands the key on (``_hand_over``).
current_job: contextvars.ContextVar = contextvars.ContextVar("piwarden_current_job",
                                                             default=None)

_STATUS = {"ready": TaskResultStatus.READY, "running": TaskResultStatus.RUNNING,
           "succeeded": TaskResultStatus.SUCCESSFUL, "dead": TaskResultStatus.FAILED}


def notify_workers() -> None:
    """Wake the workers when the current transaction commits (PostgreSQL; a no-op on SQLite,
    whose workers poll)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


class JobBackend(BaseTaskBackend):
    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = True

    def enqueue(self, task: Task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        job = self.insert(task, args, kwargs)
        result = self.result_of(job, task)
        task_enqueued.send(type(self), task_result=result)
        return result

    def enqueue_unique(self, task: Task, args, kwargs, *, key: str) -> TaskResult | None:
        """``enqueue`` unless a ready or running job holds ``key`` (then None)."""
        self.validate_task(task)
        job = self.insert(task, args, kwargs, dedupe_key=key)
        if job is None:
            return None
        result = self.result_of(job, task)
        task_enqueued.send(type(self), task_result=result)
        return result

    def insert(self, task: Task, args, kwargs, *, dedupe_key: str | None = None):
        """Write the job and wake the workers, in one transaction. With a ``dedupe_key`` held
        by another ready or running job, nothing is written and None is returned: the partial
        unique constraint decides, so two racing callers cannot both queue."""
        from piwarden.jobs.models import Job

        job = Job(task_path=task.module_path, args=normalize_json(list(args)),
                  kwargs=normalize_json(dict(kwargs)), queue_name=task.queue_name,
                  priority=task.priority, run_after=task.run_after or timezone.now(),
                  dedupe_key=dedupe_key)
        with transaction.atomic():
            if dedupe_key is None:
                job.save(force_insert=True)
            elif not self._insert_unique(job):
                return None
            notify_workers()
        return job

    def _insert_unique(self, job) -> bool:
        for attempt in range(2):
            try:
                with transaction.atomic():  # a savepoint: the conflict leaves the caller's
                    job.save(force_insert=True)  # transaction usable
                return True
            except IntegrityError:
                if attempt or not _hand_over(job.dedupe_key):
                    return False
        return False

    def get_result(self, result_id: str) -> TaskResult:
        from piwarden.jobs.models import Job

        try:
            job = Job.objects.get(pk=result_id)
        except (Job.DoesNotExist, ValidationError, ValueError) as error:
            raise TaskResultDoesNotExist(result_id) from error
        return self.result_of(job)

    def result_of(self, job, task: Task | None = None) -> TaskResult:
        if task is None:
            task = import_string(job.task_path)
            if not isinstance(task, Task):
                raise TaskResultDoesNotExist(f"{job.task_path} is not a task")
        task = task.using(priority=job.priority, queue_name=job.queue_name,
                          run_after=job.run_after, backend=self.alias)
        errors = []
        if job.last_error:
            errors.append(TaskError(exception_class_path=job.error_class,
                                    traceback=job.last_error))
        result = TaskResult(
            task=task, id=str(job.pk), status=_STATUS[job.status],
            enqueued_at=job.enqueued_at, started_at=job.started_at,
            last_attempted_at=job.started_at, finished_at=job.finished_at,
            args=job.args, kwargs=job.kwargs, backend=self.alias, errors=errors,
            # The job keeps only its last worker; the list's length is the attempt count
            # (what TaskContext.attempt reports).
            worker_ids=[job.worker_id] * job.attempts)
        object.__setattr__(result, "_return_value", job.return_value)
        return result

    def check(self, **kwargs: Any):
        from django.apps import apps
        from django.core import checks

        if not apps.is_installed("piwarden.jobs"):
            return [checks.Error("JobBackend needs 'piwarden.jobs' in INSTALLED_APPS")]
        return []


def _hand_over(key: str) -> bool:
    """The job this worker is running holds ``key`` (a recurring task queueing its next run):
    it lets go of the key so its successor can take it. False for any other holder."""
    from piwarden.jobs.models import Job, JobStatus

    running = current_job.get()
    if running is None:
        return False
    return bool(Job.objects.filter(pk=running, dedupe_key=key, status=JobStatus.RUNNING)
                .update(dedupe_key=None))
