"""Background job of the publication app: the recurring takedown check."""

import datetime

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.audit.actors import Actor

CHECK_INTERVAL = datetime.timedelta(minutes=15)  # well inside the takedown hours


@task()
def run_sweep() -> dict[str, int]:
    """Take down published items whose consent no longer holds; then queue the next run."""
    from piwarden.publication import services

    try:
        return services.sweep(actor=Actor.system("publication.sweep"))
    finally:
        ensure_scheduled(at=timezone.now() + CHECK_INTERVAL)


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``run_sweep`` unless a run is already waiting (``piwarden serve`` and every run)."""
    return recurring.schedule_once(run_sweep, at=at or timezone.now() + CHECK_INTERVAL)
