"""Background jobs of the sharing app: the daily run over forwarded deletions and contracts."""

import datetime

from django.utils import timezone
from django_tasks import task

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
    """Queue ``daily_checks`` unless one is already waiting; True when one was queued. Called
    when ``piwarden serve`` starts (a run at once) and at the end of every run."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=daily_checks.module_path,
                                   status=TaskResultStatus.READY).exists():
        return False
    daily_checks.using(run_after=at or timezone.now()).enqueue()
    return True
