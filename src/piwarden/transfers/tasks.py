"""Background job of the transfers app: the daily reminder before a mechanism expires or a
standard contract's filing falls due. A thin call into services."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.audit.actors import Actor

INTERVAL = timedelta(days=1)


@task()
def remind() -> int:
    """Alert staff once per date that comes within the reminder window; queue the next run."""
    from piwarden.transfers import services

    try:
        return services.remind(actor=Actor.system("transfers.remind"))
    finally:
        ensure_scheduled(at=timezone.now() + INTERVAL)


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``remind`` unless a run is already waiting (``piwarden serve`` and every run)."""
    return recurring.schedule_once(remind, at=at)
