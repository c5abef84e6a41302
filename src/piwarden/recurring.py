"""Recurring background jobs: each one keeps exactly one pending run of itself queued."""

from django.utils import timezone


def schedule_once(task, *, at=None) -> bool:
    """Queue ``task`` unless a run of it is already waiting; True when one was queued.

    Called when ``piwarden serve`` starts and at the end of every run, so exactly one run is
    pending while the worker lives, whatever the number of restarts.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=task.module_path,
                                   status=TaskResultStatus.READY).exists():
        return False
    task.using(run_after=at or timezone.now()).enqueue()
    return True
