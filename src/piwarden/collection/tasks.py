"""Background jobs of the collection app: the recurring retention run."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden.audit.actors import Actor
from piwarden.collection import retention

INTERVAL = timedelta(hours=1)
MAX_BATCHES = 100  # at most 100,000 rows per kind per run; the next run takes the rest


@task()
def run_retention() -> dict[str, int]:
    """Expire what is due, then queue the next run an hour from now (one chain only)."""
    try:
        return retention.run(actor=Actor.system("collection.retention"),
                             max_batches=MAX_BATCHES)
    finally:
        ensure_scheduled(at=timezone.now() + INTERVAL)


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``run_retention`` unless a run is already waiting; True when one was queued.

    Called when ``piwarden serve`` starts and at the end of every run, so exactly one run is
    pending while the worker lives, whatever the number of restarts.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    path = run_retention.module_path
    if DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.READY).exists():
        return False
    run_retention.using(run_after=at or timezone.now()).enqueue()
    return True
