"""Task latency through a real ``piwarden worker``: how soon a queued task starts, and how soon a
person's access request has its export ready.

    python bench/latency.py [--db sqlite|postgres] [--tasks 50] [--requests 20]

A worker process runs on a scratch database. ``task_start_ms``: ``--tasks`` no-op tasks
(``jobs.tasks.ping``) are queued one at a time, 0.15-0.35 s apart so the worker is idle (asleep
in its wait) each time; the figure is the job's ``started_at - enqueued_at``. The target is
100 ms on PostgreSQL, where the worker wakes on LISTEN/NOTIFY at the commit (SQLite polls every
``PIWARDEN_WORKER_POLL_SECONDS``, 0.1 s). ``access_end_to_end_ms``: ``--requests`` access
requests are submitted through ``rights.services.submit`` (an identity already checked, as the
privacy center's fresh login gives), each for a person with vault values and consent events;
the figure runs from before the call to the archive's ``ready_at`` written by the worker, after
it collected every registered source and wrote the encrypted ZIP. Target: under 400 ms on
PostgreSQL. Each prints p95 as ``value``, with p50 and n; one JSON object per line.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time

from _common import REPO, ensure_project_python, scratch_database

PG_BENCH_DB = f"piwarden_bench_latency_{os.getpid()}"  # runs side by side never collide


def _percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return round(cuts[49], 1), round(cuts[94], 1)


def _start_worker(data_dir: str) -> subprocess.Popen:
    from piwarden.jobs.models import WorkerBeat

    log = open(os.path.join(data_dir, "worker.log"), "w")  # noqa: SIM115
    worker = subprocess.Popen([sys.executable, "-m", "piwarden", "worker"], cwd=REPO,
                              env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not WorkerBeat.objects.filter(pid=worker.pid).exists():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start; see {log.name}")
        time.sleep(0.1)
    return worker


def _finished(model, pk, done: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        row = model.objects.get(pk=pk)
        if row.status == done:
            return row
        if time.monotonic() > deadline:
            raise SystemExit(f"{model.__name__} {pk} still {row.status} after {timeout} s")
        time.sleep(0.005)


def _task_start(count: int) -> list[float]:
    from piwarden.jobs.models import Job, JobStatus
    from piwarden.jobs.tasks import ping

    delays = []
    for _ in range(count):
        time.sleep(random.uniform(0.15, 0.35))  # noqa: S311 (spacing, not security)
        job = _finished(Job, ping.enqueue().id, JobStatus.SUCCEEDED)
        delays.append((job.started_at - job.enqueued_at).total_seconds() * 1000)
    return delays


def _person():
    """An account holder with a name in the vault (no address: no notification mail leaves)
    and a consent and its withdrawal."""
    from django.db import transaction

    from piwarden.audit.actors import Actor
    from piwarden.consent import services as consent
    from piwarden.subjects.models import SubjectKind
    from piwarden.subjects.services import create_subject
    from piwarden.vault import services as vault

    with transaction.atomic():
        subject = create_subject(actor=Actor.system("bench"), kind=SubjectKind.ACCOUNT_HOLDER)
        vault.put(actor=Actor.person(subject), subject=subject, field="name", value="张明",
                  purpose="service.provision")
    for record in (consent.grant, consent.withdraw):
        record(actor=Actor.person(subject), subject=subject, purpose="marketing.email",
               channel="web", notice_text="We send you offers by e-mail.")
    return subject


def _access(count: int) -> list[float]:
    from django.utils import timezone

    from piwarden.audit.actors import Actor
    from piwarden.rights import services
    from piwarden.subjectdata.models import ArchiveStatus, ExportArchive

    delays = []
    for _ in range(count + 1):  # the first warms the worker up (imports, templates, plans)
        subject = _person()
        time.sleep(random.uniform(0.15, 0.35))  # noqa: S311
        submitted = timezone.now()
        req = services.submit(actor=Actor.person(subject), subject=subject, type="access",
                              channel="privacy_center", verified=True)
        archive = _finished(ExportArchive, req.export_archive_id, ArchiveStatus.READY)
        delays.append((archive.ready_at - submitted).total_seconds() * 1000)
    return delays[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    ensure_project_python()
    os.environ.pop("PIWARDEN_TASKS_BACKEND", None)  # the job backend, as deployed
    with scratch_database(args.db, PG_BENCH_DB) as (_database_url, data_dir):
        worker = _start_worker(data_dir)
        try:
            for metric, delays in (("task_start_ms", _task_start(args.tasks)),
                                   ("access_end_to_end_ms", _access(args.requests))):
                p50, p95 = _percentiles(delays)
                print(json.dumps({"metric": metric, "value": p95, "unit": "ms", "db": args.db,
                                  "p50": p50, "n": len(delays),
                                  "target_ms": 100 if metric == "task_start_ms" else 400}),
                      flush=True)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
            from django.db import connections

            connections.close_all()


if __name__ == "__main__":
    main()
