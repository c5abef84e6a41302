"""Background jobs of the collection app: the recurring retention run."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
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
    """Queue ``run_retention`` unless a run is already waiting (at start and every run)."""
    return recurring.schedule_once(run_retention, at=at)
