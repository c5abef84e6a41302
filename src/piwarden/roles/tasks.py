"""The roles app's recurring job, every 15 minutes: expired grants end (the middleware ends
them on their holder's next request already), stray group members are removed, reminders
before expiry go out, the quarter's access review opens and an overdue one is alerted. Each
step is a thin, idempotent call into the services."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from piwarden import recurring
from piwarden.audit.actors import Actor

INTERVAL = timedelta(minutes=15)


@task()
def maintain() -> dict:
    from piwarden.roles import review, services

    actor = Actor.system("roles.maintain")
    try:
        return {"expired": services.expire_due(actor=actor),
                "removed": services.reconcile(actor=actor),
                "reminded": services.remind_expiring(actor=actor),
                "review_opened": review.open_review(actor=actor) is not None,
                "overdue": review.alert_overdue(actor=actor)}
    finally:
        ensure_scheduled(at=timezone.now() + INTERVAL)


def ensure_scheduled(*, at=None) -> bool:
    """Queue ``maintain`` unless a run is already waiting (``piwarden serve`` and every run)."""
    return recurring.schedule_once(maintain, at=at)
