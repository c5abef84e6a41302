"""Background jobs of the consent app, each a thin call into a service."""

from django_tasks import task

from piwarden.audit.actors import Actor
from piwarden.consent import erasure

ROUND = 200  # erasures per round; a run takes rounds until none is due


@task()
def run_due_erasures() -> int:
    """Queued once per minute of due time (however many withdrawals fall due in it), and
    runnable any time: it takes every due erasure, round after round, and only due ones."""
    actor, total = Actor.system("consent.erasure"), 0
    while True:
        count = erasure.run_due(actor=actor, limit=ROUND)
        total += count
        if count < ROUND:
            return total
