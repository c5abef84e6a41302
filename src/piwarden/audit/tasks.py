"""Background jobs of the audit app, each a thin call into a service."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.audit import services
from piwarden.audit.models import ChainCheck

ANOMALY_INTERVAL = timedelta(minutes=1)


@task()
def run_chain_check(check_id: int) -> None:
    services.run_check(check=ChainCheck.objects.get(pk=check_id))


@task()
def scan_anomalies() -> dict:
    """Alert on bulk reads, off-hours reads and new networks (V-5.1b); queue the next run."""
    from piwarden.audit import anomalies

    try:
        return anomalies.scan()
    finally:
        ensure_scheduled(at=timezone.now() + ANOMALY_INTERVAL)


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``scan_anomalies`` unless a run is already waiting (``piwarden serve``)."""
    return recurring.schedule_once(scan_anomalies, at=at)
