"""Background jobs of notification campaigns, thin calls into ``services``."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden.notify import services
from piwarden.outbox import services as outbox

SYNC_EVERY = timedelta(minutes=1)


def _later(task_, key: str, at, campaign_id: str) -> None:
    """Queue the next run once (a backend that cannot defer, as in tests, queues nothing)."""
    from piwarden.jobs.services import enqueue_once

    if task_.get_backend().supports_defer:
        enqueue_once(task_, key=key, run_after=at, args=(campaign_id,))


@task()
def run_campaign(campaign_id: str) -> int:
    """Hand out the campaign's notices; a throttled run queues the next one for later, and
    deliveries follow their outbox messages (``sync_campaign``) until none waits."""
    result = services.run(campaign_id=campaign_id)
    if result.next_at is not None:
        _later(run_campaign, f"notify.run:{campaign_id}", result.next_at, campaign_id)
    elif services.sync(campaign_id=campaign_id):
        _later(sync_campaign, f"notify.sync:{campaign_id}", timezone.now() + SYNC_EVERY,
               campaign_id)
    return result.handed


@task()
def deliver_chunk(campaign_id: str, message_ids: list[str]) -> int:
    """Send a chunk's e-mails and SMS now (the outbox retries failures on its own)."""
    for message_id in message_ids:
        outbox.deliver(message_id=message_id)
    services.sync(campaign_id=campaign_id)
    return len(message_ids)


@task()
def sync_campaign(campaign_id: str) -> int:
    """Deliveries follow their outbox messages until none waits."""
    left = services.sync(campaign_id=campaign_id)
    if left:
        _later(sync_campaign, f"notify.sync:{campaign_id}", timezone.now() + SYNC_EVERY,
               campaign_id)
    return left
