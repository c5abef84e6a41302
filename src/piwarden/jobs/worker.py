"""The worker behind ``piwarden worker`` (docs/jobs.md): claims due jobs one at a time, runs
them under a lease that a heartbeat thread renews, retries failures with back-off and gives up
on poison.

- **Claim**: a ``ready`` job whose ``run_after`` has come, or a ``running`` one whose lease
  has passed (its worker died), highest priority first; ``SELECT … FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, and on SQLite the ``BEGIN IMMEDIATE`` of every transaction serialises claims.
  The claim sets ``lease_until`` and counts the attempt. A job taken back from a dead worker
  whose attempts are used up goes ``dead`` without running: a job that kills its worker every
  time cannot loop forever.
- **Outcome**: success → ``succeeded``. An exception → back to ``ready`` after
  ``PIWARDEN_TASK_BACKOFF_SECONDS`` * 2^(attempt-1) (capped), or ``dead`` with a ``task.dead``
  alert once ``max_attempts`` are used. Outcomes are written only while the job is still this
  worker's, so a worker that lost its lease cannot overwrite the run that took over.
- **Wake-up**: PostgreSQL ``LISTEN piwarden_jobs`` on a connection of its own (``enqueue``
  notifies at commit), else the next known ``run_after`` or lease end, else a 5 s poll;
  SQLite polls every ``PIWARDEN_WORKER_POLL_SECONDS``.
- **Stop**: SIGTERM or SIGINT lets the running job finish, then the worker exits 0; an idle
  worker exits at once. A second signal during a job stops at once (the lease then expires and
  the job runs again elsewhere).

Logs name job ids, task paths, attempt counts and exception classes only: never arguments,
return values or exception messages, which may quote personal information.
"""

import datetime
import logging
import os
import secrets
import signal
import socket
import threading
import time
import traceback

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task, TaskContext
from django_tasks.utils import normalize_json

from piwarden.jobs import selectors
from piwarden.jobs.backend import CHANNEL, JobBackend, current_job
from piwarden.jobs.models import Job, JobStatus, WorkerBeat

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0  # PostgreSQL: the longest sleep without a notification (a lost NOTIFY)
HEARTBEAT_MAX_SECONDS = 5.0
BEAT_ROWS_KEPT = datetime.timedelta(days=1)  # rows of killed workers are pruned after a day
# Alerts are mailed by this task: its own death is logged, not alerted (no alert loop).
ALERT_MAIL_TASK = "piwarden.alerts.tasks.notify_staff"


class LeaseExpired(Exception):
    """The worker that ran the job stopped renewing its lease (killed, or stuck)."""


class _Interrupted(BaseException):
    """Raised by the signal handler to leave an idle wait at once."""


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(settings.PIWARDEN_TASK_LEASE_SECONDS))


def backoff(attempts: int) -> datetime.timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: doubling, capped."""
    base = float(settings.PIWARDEN_TASK_BACKOFF_SECONDS)
    cap = float(settings.PIWARDEN_TASK_BACKOFF_MAX_SECONDS)
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _class_path(exc: BaseException) -> str:
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def format_error(exc: BaseException) -> str:
    """The exception's class on the first line, then the stack of it and of the exceptions it
    was raised from: file, line and code of each frame, never the messages (they may quote
    the data being processed)."""
    chain, seen, current = [], set(), exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    parts = [_class_path(exc)]
    for item in reversed(chain):
        parts.append("Traceback (most recent call last):\n"
                     + "".join(traceback.format_tb(item.__traceback__))
                     + f"{_class_path(item)} (message not kept)")
    return "\n".join(parts)


def _lease_error(job: Job) -> str:
    return (f"{LeaseExpired.__module__}.{LeaseExpired.__qualname__}\n"
            f"worker {job.worker_id} stopped renewing the lease of attempt {job.attempts}")


def _tidy_connection() -> None:
    """Between jobs, drop a broken or too old connection (as Django does between requests);
    never inside a transaction (tests run the worker inside theirs)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _due(queues: list[str] | None):
    return Job.objects.filter(queue_name__in=queues) if queues else Job.objects.all()


def claim(*, worker_id: str, queues: list[str] | None = None) -> Job | None:
    """Take the next due job for this worker (None when nothing is due)."""
    while True:
        now = timezone.now()
        jobs = _due(queues)
        # A plain read first: an idle poll (SQLite, every 0.1 s) takes no write lock.
        if not (jobs.filter(status=JobStatus.READY, run_after__lte=now).exists()
                or jobs.filter(status=JobStatus.RUNNING, lease_until__lt=now).exists()):
            return None
        with transaction.atomic():
            now = timezone.now()
            job = (jobs.filter(status=JobStatus.RUNNING, lease_until__lt=now)
                   .order_by("lease_until").select_for_update(skip_locked=True).first())
            if job is None:
                job = (jobs.filter(status=JobStatus.READY, run_after__lte=now)
                       .order_by("-priority", "run_after", "enqueued_at")
                       .select_for_update(skip_locked=True).first())
            if job is None:
                return None
            if job.status == JobStatus.RUNNING:  # taken back from a worker that is gone
                log.warning("job %s %s: lease of worker %s expired (attempt %d/%d)", job.pk,
                            job.task_path, job.worker_id, job.attempts, job.max_attempts)
                job.last_error = _lease_error(job)
                if job.attempts >= job.max_attempts:
                    _bury(job, now, fields=["last_error"])
                    continue  # committed; look for another job
            job.status, job.attempts = JobStatus.RUNNING, job.attempts + 1
            job.started_at, job.finished_at = now, None
            job.lease_until, job.worker_id = now + lease(), worker_id
            job.save(update_fields=["status", "attempts", "started_at", "finished_at",
                                    "lease_until", "worker_id", "last_error"])
            WorkerBeat.objects.filter(worker_id=worker_id).update(current_job_id=job.pk,
                                                                  beat_at=now)
            return job


def _bury(job: Job, now: datetime.datetime, *, fields: list[str]) -> None:
    """The job is given up: ``dead``, and an alert for staff (in this transaction)."""
    from piwarden.alerts import services as alerts
    from piwarden.alerts.models import Severity

    job.status, job.finished_at, job.lease_until = JobStatus.DEAD, now, None
    job.save(update_fields=["status", "finished_at", "lease_until", *fields])
    log.error("job %s %s is dead after %d attempt(s): %s", job.pk, job.task_path, job.attempts,
              job.error_class)
    if job.task_path == ALERT_MAIL_TASK:
        return
    alerts.raise_alert(
        kind="task.dead", severity=Severity.HIGH, source="jobs.worker",
        summary=f"The background task {job.task_name} failed {job.attempts} time(s) and was "
                f"given up; retry it from the console once the cause is fixed.",
        detail={"task": job.task_path, "job": str(job.pk), "attempts": job.attempts,
                "error": job.error_class},
        objects=[job])


def succeed(job: Job, *, worker_id: str, value) -> bool:
    """Record the success; False when the job is no longer this worker's (lease lost)."""
    with transaction.atomic():
        owned = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING,
                                   worker_id=worker_id).update(
            status=JobStatus.SUCCEEDED, finished_at=timezone.now(), lease_until=None,
            return_value=value)
        WorkerBeat.objects.filter(worker_id=worker_id).update(current_job_id=None)
    return bool(owned)


def fail(job: Job, *, worker_id: str, error: BaseException) -> str:
    """Record a failed attempt: back to ``ready`` after the back-off, or ``dead``. Returns the
    new status ("lost" when the job is no longer this worker's)."""
    with transaction.atomic():
        now = timezone.now()
        job = (Job.objects.select_for_update()
               .filter(pk=job.pk, status=JobStatus.RUNNING, worker_id=worker_id).first())
        WorkerBeat.objects.filter(worker_id=worker_id).update(current_job_id=None)
        if job is None:
            return "lost"
        job.last_error = format_error(error)
        if job.attempts < job.max_attempts:
            job.status, job.lease_until = JobStatus.READY, None
            job.run_after = now + backoff(job.attempts)
            job.save(update_fields=["status", "lease_until", "run_after", "last_error"])
            log.warning("job %s %s failed (attempt %d/%d, next at %s): %s", job.pk,
                        job.task_path, job.attempts, job.max_attempts,
                        job.run_after.isoformat(), job.error_class)
        else:
            _bury(job, now, fields=["last_error"])
    return job.status


def execute(job: Job):
    """Run the job's task in this thread and return its value (JSON-normalised)."""
    token = current_job.set(job.pk)
    try:
        task = import_string(job.task_path)
        if not isinstance(task, Task):
            raise TypeError("the job's task path does not name a task")
        if task.takes_context:
            result = JobBackend(task.backend, {}).result_of(job, task)
            value = task.call(TaskContext(task_result=result), *job.args, **job.kwargs)
        else:
            value = task.call(*job.args, **job.kwargs)
        return normalize_json(value)
    finally:
        current_job.reset(token)


class _Heartbeat(threading.Thread):
    """Renews the lease of the running job and the worker's beat every few seconds, on a
    database connection of its own."""

    def __init__(self, worker: "Worker"):
        super().__init__(name="piwarden-heartbeat", daemon=True)
        self.worker = worker
        self.stopped = threading.Event()
        self.interval = min(HEARTBEAT_MAX_SECONDS, lease().total_seconds() / 4)

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        job_id, worker_id, now = self.worker.job_id, self.worker.worker_id, timezone.now()
        try:
            if job_id is not None:
                renewed = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING,
                                             worker_id=worker_id).update(
                    lease_until=now + lease())
                if not renewed and self.worker.job_id == job_id:
                    log.warning("job %s: lease lost (taken by another worker)", job_id)
            WorkerBeat.objects.filter(worker_id=worker_id).update(beat_at=now)
        except DatabaseError as error:
            log.warning("heartbeat of %s failed: %s", worker_id, type(error).__name__)
            connection.close()


class Worker:
    """One worker process. ``run()`` returns the exit code (0 after a drain or a batch)."""

    def __init__(self, *, queues: list[str] | None = None, batch: bool = False,
                 worker_id: str | None = None, heartbeat: bool = True,
                 handle_signals: bool = True):
        self.queues = queues or None
        self.batch = batch
        self.worker_id = worker_id or new_worker_id()
        self.heartbeat = heartbeat
        self.handle_signals = handle_signals
        self.job_id = None
        self.stopping = False
        self.idle = False
        self.done = 0
        self.listening = False
        self.listener = None

    # --- signals --------------------------------------------------------------------------

    def _on_signal(self, signum, frame) -> None:
        if self.stopping and self.job_id is not None:
            log.warning("worker %s: second signal, stopping now (job %s will run again)",
                        self.worker_id, self.job_id)
            raise _Interrupted
        self.stopping = True
        if self.job_id is None:
            log.info("worker %s: %s, stopping", self.worker_id, signal.Signals(signum).name)
            if self.idle:
                raise _Interrupted
        else:
            log.info("worker %s: %s, stopping after job %s", self.worker_id,
                     signal.Signals(signum).name, self.job_id)

    def _install_signals(self) -> dict:
        if not (self.handle_signals and threading.current_thread() is threading.main_thread()):
            return {}
        return {signum: signal.signal(signum, self._on_signal)
                for signum in (signal.SIGTERM, signal.SIGINT)}

    # --- the loop -------------------------------------------------------------------------

    def run(self) -> int:
        previous = self._install_signals()
        beat = _Heartbeat(self) if self.heartbeat else None
        try:
            self._register()
            if beat:
                beat.start()
            self.listening = connection.vendor == "postgresql" and not self.batch
            if self.listening:  # before the first claim: no notification can be missed
                self.listener = self._listen()
            log.info("worker %s started (%s)", self.worker_id,
                     "batch" if self.batch else "until stopped")
            while not self.stopping:
                try:
                    job = claim(worker_id=self.worker_id, queues=self.queues)
                except DatabaseError as error:
                    log.warning("worker %s: claim failed: %s", self.worker_id,
                                type(error).__name__)
                    connection.close()
                    self._wait(1.0, poll=True)
                    continue
                if job is not None:
                    self._run(job)
                elif self.batch:
                    break
                else:
                    self._wait(self._idle_seconds())
        except _Interrupted:
            pass
        finally:
            self.idle = False
            if beat:
                beat.stopped.set()
                beat.join(timeout=35)
            if self.listener is not None:
                self.listener.close()
            self._unregister()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        log.info("worker %s stopped after %d job(s)", self.worker_id, self.done)
        return 0

    def _run(self, job: Job) -> None:
        self.job_id = job.pk
        started = time.monotonic()
        log.info("job %s %s started (attempt %d/%d)", job.pk, job.task_path, job.attempts,
                 job.max_attempts)
        try:
            try:
                value = execute(job)
            except Exception as error:  # the task's failure is the job's outcome
                _tidy_connection()
                status = fail(job, worker_id=self.worker_id, error=error)
                if status == "lost":
                    log.warning("job %s %s failed after its lease was lost", job.pk,
                                job.task_path)
                return
            _tidy_connection()
            if succeed(job, worker_id=self.worker_id, value=value):
                log.info("job %s %s succeeded in %d ms", job.pk, job.task_path,
                         (time.monotonic() - started) * 1000)
            else:
                log.warning("job %s %s finished after its lease was lost", job.pk,
                            job.task_path)
        except DatabaseError as error:  # the outcome could not be written: the lease expires
            log.warning("job %s: outcome not recorded: %s", job.pk, type(error).__name__)
            connection.close()
        finally:
            self.job_id = None
            self.done += 1

    def _idle_seconds(self) -> float:
        if not self.listening:
            return float(settings.PIWARDEN_WORKER_POLL_SECONDS)
        wake = selectors.next_wake(queues=self.queues)
        if wake is None:
            return IDLE_SECONDS
        return min(IDLE_SECONDS, max((wake - timezone.now()).total_seconds(), 0.0) + 0.001)

    def _wait(self, seconds: float, *, poll: bool = False) -> None:
        """Sleep up to ``seconds``; a notification (PostgreSQL) or a signal ends it early. A
        listening connection that fails is opened again at the next wait (meanwhile the
        worker polls every ``IDLE_SECONDS`` at most)."""
        import psycopg

        self.idle = True
        try:
            if self.stopping:
                return
            if poll or not self.listening:
                time.sleep(seconds)
                return
            try:
                if self.listener is None:  # listening again: claim before the next sleep
                    self.listener = self._listen()
                    return
                for _ in self.listener.notifies(timeout=seconds, stop_after=1):
                    pass
            except psycopg.Error as error:
                log.warning("worker %s: LISTEN connection failed: %s", self.worker_id,
                            type(error).__name__)
                if self.listener is not None:
                    self.listener.close()
                self.listener = None
                time.sleep(min(seconds, 1.0))
        finally:
            self.idle = False

    # --- bookkeeping ----------------------------------------------------------------------

    def _listen(self):
        import psycopg

        params = {key: value for key, value in connection.get_connection_params().items()
                  if isinstance(value, str | int) and key != "prepare_threshold"}
        listener = psycopg.connect(**params, autocommit=True)
        listener.execute(f"LISTEN {CHANNEL}")
        return listener

    def _register(self) -> None:
        now = timezone.now()
        WorkerBeat.objects.filter(beat_at__lt=now - BEAT_ROWS_KEPT).delete()
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(),
                      "started_at": now, "beat_at": now, "current_job_id": None})

    def _unregister(self) -> None:
        try:
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()
        except DatabaseError as error:
            log.warning("worker %s: beat row not removed: %s", self.worker_id,
                        type(error).__name__)
