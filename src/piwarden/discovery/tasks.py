"""Background jobs of the discovery app: the recurring scan of stored events."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.audit.actors import Actor

INTERVAL = timedelta(minutes=15)


@task()
def screen_events() -> dict:
    """Redact PI found in events stored since the last run, then queue the next run: at once
    while the scan is behind, else in 15 minutes (one chain only)."""
    from piwarden.discovery import events

    behind = False
    try:
        outcome = events.screen_events(actor=Actor.system("discovery.screen_events"))
        behind = outcome["more"]
        return outcome
    finally:
        ensure_scheduled(at=timezone.now() + (timedelta(0) if behind else INTERVAL))


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``screen_events`` unless a run is already waiting (``piwarden serve``)."""
    return recurring.schedule_once(screen_events, at=at)
