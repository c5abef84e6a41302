"""Real ``piwarden worker`` processes on the test database: a worker killed with SIGKILL in the
middle of a job (another takes the job once the lease passes, and nothing is done twice), a job
that kills every worker (given up, with an alert), SIGTERM (the job finishes first), and the
wake-up on a new job (LISTEN/NOTIFY on PostgreSQL, the poll on SQLite).

The jobs go to a queue of their own ("tests") that the workers are limited to, so jobs other
tests committed are left alone. Timings are asserted generously; bench/latency.py measures.
"""

import signal
import time

import pytest
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.models import AuditEvent
from piwarden.jobs.models import Job, JobStatus, WorkerBeat

from . import tasks
from .conftest import wait_for

pytestmark = pytest.mark.slow
QUEUE = ("--queue", "tests")


def enqueue(task, *args) -> Job:
    """Queue on the tests' queue, committed at once (no transaction is open)."""
    return Job.objects.get(pk=task.using(queue_name="tests").enqueue(*args).id)


def finished(job: Job) -> Job | None:
    return Job.objects.filter(pk=job.pk, status__in=[JobStatus.SUCCEEDED, JobStatus.DEAD]).first()


def test_a_killed_workers_job_runs_again_after_its_lease_without_doing_anything_twice(
        workers, tmp_path):
    hold = tmp_path / "hold"
    hold.write_text("the test kills the worker while this file exists")
    job = enqueue(tasks.two_steps, "crash-1", str(tmp_path))
    first = workers.start(*QUEUE, lease=2)
    wait_for(lambda: list(tmp_path.glob("inside-*")), what="the first worker inside the task")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert f":{first.pid}:" in job.worker_id
    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=30) == -signal.SIGKILL
    hold.unlink()
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING  # nobody let it go

    second = workers.start(*QUEUE, lease=2)
    job = wait_for(lambda: finished(job), what="the job to finish on the second worker")
    assert (job.status, job.attempts, job.return_value) == (JobStatus.SUCCEEDED, 2, ["two"])
    assert f":{second.pid}:" in job.worker_id
    assert job.error_class == "piwarden.jobs.worker.LeaseExpired"
    assert f":{first.pid}:" in job.last_error
    for action in ("tests.step_one", "tests.step_two"):
        assert AuditEvent.objects.filter(action=action, detail__key="crash-1").count() == 1
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
    assert "lease of worker" in workers.logs() and "crash-1" not in workers.logs()


def test_a_job_that_kills_every_worker_is_given_up_with_an_alert(workers):
    """Attempts are counted at the claim, so a job whose worker dies every time still runs
    out of them: once its lease passes with none left it goes dead unrun. The logs never
    carry a task's arguments or error messages."""
    poison = enqueue(tasks.kill_my_worker)
    Job.objects.filter(pk=poison.pk).update(max_attempts=2)
    for attempt in (1, 2):
        process = workers.start("--batch", *QUEUE, lease=1)
        assert process.wait(timeout=60) == -signal.SIGKILL
        poison.refresh_from_db()
        assert (poison.status, poison.attempts) == (JobStatus.RUNNING, attempt)
        wait_for(lambda: timezone.now() > poison.lease_until, what="the lease to pass")
    failing = enqueue(tasks.boom, tasks.PHONE)
    Job.objects.filter(pk=failing.pk).update(max_attempts=1)
    last = workers.start("--batch", *QUEUE, lease=1)
    assert last.wait(timeout=60) == 0
    poison.refresh_from_db()
    assert (poison.status, poison.attempts) == (JobStatus.DEAD, 2)
    alert = Alert.objects.get(kind="task.dead", detail__job=str(poison.pk))
    assert alert.severity == "high" and alert.objects_concerned == [f"jobs.job:{poison.pk}"]
    assert Job.objects.get(pk=failing.pk).status == JobStatus.DEAD
    logs = workers.logs()
    assert str(poison.pk) in logs and "is dead after 2 attempt(s)" in logs
    assert tasks.PHONE not in logs


def test_sigterm_lets_the_running_job_finish_then_the_worker_exits(workers, tmp_path):
    job = enqueue(tasks.sleepy, str(tmp_path), 2)
    process = workers.start(*QUEUE, lease=60)
    wait_for(lambda: (tmp_path / "started").exists(), what="the job to start")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert (tmp_path / "finished").exists()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.return_value) == (JobStatus.SUCCEEDED, 1, "slept")
    assert not WorkerBeat.objects.filter(pid=process.pid).exists()


def test_a_new_job_wakes_an_idle_worker_at_once_and_sigterm_stops_it_at_once(workers):
    """On PostgreSQL an idle worker sleeps up to 5 s between polls: a start within a second,
    three times, is the NOTIFY sent at the commit (typically a few ms)."""
    process = workers.start(*QUEUE, lease=60)
    wait_for(lambda: WorkerBeat.objects.filter(pid=process.pid).exists(),
             what="the worker to start")
    delays = []
    for value in range(3):
        time.sleep(1)  # idle again: asleep in its wait
        queued = enqueue(tasks.answer, value)
        job = wait_for(lambda queued=queued: finished(queued), timeout=30,
                       what="the job to run")
        assert job.status == JobStatus.SUCCEEDED
        delays.append((job.started_at - job.enqueued_at).total_seconds())
    assert max(delays) < 1.0, delays
    time.sleep(0.5)
    stopping = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert time.monotonic() - stopping < 5
