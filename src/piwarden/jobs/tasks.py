"""Background jobs of the jobs app: a no-op to see the worker answer (and to time it)."""

from django_tasks import task


@task()
def ping() -> str:
    """Does nothing: the job's ``started_at - enqueued_at`` is the queue's start latency."""
    return "pong"
