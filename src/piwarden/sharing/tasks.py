"""Background jobs of the sharing app: the daily run over forwarded deletions and contracts."""

import datetime

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.audit.actors import Actor
from piwarden.sharing import propagation

RUN_AT = datetime.time(3, 0)  # local time, after the night's erasures


@task()
def daily_checks() -> dict[str, int]:
    """Forward missed erasures, end contracts, mark overdue requests; then queue tomorrow's
    run (one chain only)."""
    try:
        return propagation.daily(actor=Actor.system("sharing.daily"))
    finally:
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        ensure_scheduled(at=datetime.datetime.combine(
            tomorrow, RUN_AT, tzinfo=timezone.get_current_timezone()))


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``daily_checks`` unless a run is already waiting (``piwarden serve`` and every run)."""
    return recurring.schedule_once(daily_checks, at=at)
