"""Background jobs of the jobs app: a no-op to see the worker answer (and to time it), and
the daily pruning of succeeded jobs."""

import datetime

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.jobs import services

PRUNE_INTERVAL = datetime.timedelta(days=1)


@task()
def ping() -> str:
    """Does nothing: the job's ``started_at - enqueued_at`` is the queue's start latency."""
    return "pong"


@task()
def prune() -> int:
    """Delete old succeeded jobs, then queue tomorrow's run (one chain only)."""
    try:
        return services.prune_succeeded()
    finally:
        ensure_scheduled(at=timezone.now() + PRUNE_INTERVAL)


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``prune`` unless a run is already waiting (``piwarden serve`` and every run)."""
    return recurring.schedule_once(prune, at=at)
