"""Background jobs of the outbox: one delivery attempt, and the sweep that takes due retries."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.outbox import services

SWEEP_INTERVAL = timedelta(minutes=5)


@task()
def deliver_message(message_id: str) -> str:
    """Queued on commit of each message and at each retry time; a no-op when not due."""
    return services.deliver(message_id=message_id).status


@task()
def sweep() -> int:
    """Deliver what is due (retries, and messages whose queueing was lost in a crash between
    the commit and the enqueue), then queue the next sweep (one chain only)."""
    try:
        return services.deliver_due()
    finally:
        ensure_scheduled(at=timezone.now() + SWEEP_INTERVAL)


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``sweep`` unless a run is already waiting (``piwarden serve`` and every run)."""
    return recurring.schedule_once(sweep, at=at)
