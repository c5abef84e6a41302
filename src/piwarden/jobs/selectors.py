"""Read queries on the task queue shared by the status page, the metrics and the console."""

import datetime

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from piwarden.jobs.models import Job, JobStatus, WorkerBeat

LIVE_LEASES = 3  # a worker whose last beat is older than three leases counts as gone


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PIWARDEN_TASK_LEASE_SECONDS)


def queue_stats(*, now: datetime.datetime | None = None) -> dict:
    """The queue's health, for the status endpoint and Prometheus (no PI, no errors):

    - ``ready_due``: ready jobs whose ``run_after`` has come;
    - ``oldest_due_age_s``: seconds the oldest of them has been due (0 when none);
    - ``running``, ``dead``: jobs in those states;
    - ``workers``: workers whose last beat is within three leases;
    - ``last_beat_age_s``: seconds since the latest beat of any worker row, None when there
      is none (no worker ever started, or all stopped cleanly).
    """
    now = now or timezone.now()
    due = Job.objects.filter(status=JobStatus.READY, run_after__lte=now).aggregate(
        count=Count("id"), oldest=Min("run_after"))
    states = {row["status"]: row["count"] for row in
              Job.objects.filter(status__in=[JobStatus.RUNNING, JobStatus.DEAD])
              .order_by().values("status").annotate(count=Count("id"))}
    beats = WorkerBeat.objects.aggregate(
        live=Count("id", filter=Q(beat_at__gte=now - LIVE_LEASES * lease())),
        last=Max("beat_at"))
    oldest, last = due["oldest"], beats["last"]
    return {
        "ready_due": due["count"],
        "oldest_due_age_s": round(max((now - oldest).total_seconds(), 0.0), 3) if oldest else 0,
        "running": states.get(JobStatus.RUNNING, 0),
        "dead": states.get(JobStatus.DEAD, 0),
        "workers": beats["live"],
        "last_beat_age_s": (round(max((now - last).total_seconds(), 0.0), 3)
                            if last is not None else None),
    }


def next_wake(*, queues: list[str] | None = None) -> datetime.datetime | None:
    """The earliest moment a job becomes claimable: the next ``run_after`` of a ready job or
    the next lease of a running one to pass (the worker sleeps until then at most)."""
    jobs = Job.objects.filter(queue_name__in=queues) if queues else Job.objects.all()
    times = [jobs.filter(status=JobStatus.READY).aggregate(at=Min("run_after"))["at"],
             jobs.filter(status=JobStatus.RUNNING).aggregate(at=Min("lease_until"))["at"]]
    times = [at for at in times if at is not None]
    return min(times) if times else None
