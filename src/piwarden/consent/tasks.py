"""Background jobs of the consent app, each a thin call into a service."""

from django_tasks import task

from piwarden.audit.actors import Actor
from piwarden.consent import erasure


@task()
def run_due_erasures() -> int:
    """Queued for each withdrawal's due date, and runnable any time (it only takes due ones)."""
    return erasure.run_due(actor=Actor.system("consent.erasure"))
