"""Background jobs of the rights app, each a thin call into a service."""

from django_tasks import task

from piwarden.audit.actors import Actor
from piwarden.rights import services


@task()
def deadline_notices() -> dict:
    """Queued for each request's reminder and overdue days; safe to run any time."""
    return services.send_deadline_notices(actor=Actor.system("rights.deadlines"))


@task()
def execute_cancellation(request_id: str) -> bool:
    """Queued for the end of the cooling-off period; does nothing if the person undid it."""
    req = services.execute_cancellation(actor=Actor.system("rights.cancellation"),
                                        request_id=request_id)
    return bool(req and req.cancellation_started_at)
