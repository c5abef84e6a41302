"""Background jobs of the sites app: the recurring step that publishes due notices and ends
services on their end date, and each ended service's clean-up. Thin calls into services."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.audit.actors import Actor

INTERVAL = timedelta(minutes=15)


@task()
def run_due() -> dict:
    """Start due notices, end services whose end date has come; queue the next run."""
    from piwarden.sites import services

    try:
        return services.run_due(actor=Actor.system("sites.run_due"))
    finally:
        ensure_scheduled(at=timezone.now() + INTERVAL)


@task()
def clean_up(offering_id: int) -> dict:
    from piwarden.sites import services
    from piwarden.sites.models import Offering

    offering = Offering.objects.get(pk=offering_id)
    return services.clean_up(actor=Actor.system("sites.clean_up"), offering=offering)


def enqueue_clean_up(offering_id: int) -> None:
    """Queue an ended service's clean-up in the caller's transaction (once per service)."""
    from piwarden.jobs.services import enqueue_with_caller

    enqueue_with_caller(clean_up, offering_id, key=f"sites.clean_up:{offering_id}")


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``run_due`` unless a run is already waiting (``piwarden serve`` and every run)."""
    return recurring.schedule_once(run_due, at=at)
