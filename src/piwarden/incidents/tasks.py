"""Background jobs of the incidents app: the periodic deadline, progress and drill checks."""

import datetime

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.audit.actors import Actor

CHECK_INTERVAL = datetime.timedelta(minutes=15)  # reporting clocks run in hours


@task()
def run_checks() -> dict[str, int]:
    """Escalate missed report deadlines, overdue progress updates and an old last drill;
    then queue the next run (one chain only)."""
    from piwarden.incidents import services

    try:
        return services.run_checks(actor=Actor.system("incidents.checks"))
    finally:
        ensure_scheduled(at=timezone.now() + CHECK_INTERVAL)


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``run_checks`` unless a run is already waiting (``piwarden serve`` and every run);
    the first run one interval after start, like every later one."""
    return recurring.schedule_once(run_checks, at=at or timezone.now() + CHECK_INTERVAL)
