"""`piwarden serve`: gunicorn and the task worker, each restarted when it dies; Ctrl-C stops both.

Neither process can take the other down: a crashed worker is restarted (with back-off) while
the site keeps answering, and a crashed web server is restarted while the worker keeps working.
SIGTERM (a deploy) lets the worker finish its current task before it exits.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
STABLE_AFTER_SECONDS = 60.0  # a child that ran this long starts the back-off afresh
STOP_GRACE_SECONDS = 30.0  # the worker's current task may take a while to finish


class Child:
    """One supervised process: its command, the running process and its restart back-off."""

    def __init__(self, name: str, argv: list[str], env: dict):
        self.name, self.argv, self.env = name, argv, env
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.backoff = FIRST_BACKOFF_SECONDS
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env,  # noqa: S603
                                        preexec_fn=_die_with_parent)
        self.started_at, self.restart_at = time.monotonic(), None

    def check(self, now: float, report) -> None:
        """Restart the process when it has died, after its back-off."""
        if self.process is not None and self.process.poll() is None:
            return
        if self.restart_at is None:
            code = self.process.returncode if self.process else None
            if now - self.started_at >= STABLE_AFTER_SECONDS:
                self.backoff = FIRST_BACKOFF_SECONDS
            report(f"{self.name} exited with code {code}; restarting in {self.backoff:.0f} s")
            self.restart_at = now + self.backoff
            self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)
        elif now >= self.restart_at:
            self.restarts += 1
            self.start()


class Command(BaseCommand):
    help = ("Run the web server (gunicorn) and the background task worker until interrupted, "
            "restarting either when it dies.")

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                            help="web worker processes (default: twice the cores plus one)")

    def handle(self, *args, bind, workers, **options):
        env = child_env(bind, os.environ)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(_fresh_metrics_dir(bind))
        settings.PIWARDEN_SITE_URL = env.get("PIWARDEN_SITE_URL", settings.PIWARDEN_SITE_URL)
        children = [
            Child("web", [sys.executable, "-m", "gunicorn", "piwarden.wsgi:application",
                          "--config", "python:piwarden.gunicorn_conf",
                          "--bind", bind, "--workers", str(workers)], env),
            Child("worker", [sys.executable, "-m", "piwarden", "worker"], env),
        ]
        _schedule_recurring_jobs()
        # Installed explicitly: a shell that starts us in the background may have ignored SIGINT.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
        for child in children:
            child.start()
        self.stdout.write(f"piwarden is running at http://{bind}/ (Ctrl-C stops it)")
        try:
            while True:
                time.sleep(0.2)
                now = time.monotonic()
                for child in children:
                    child.check(now, self.stderr.write)
        except KeyboardInterrupt:
            self.stdout.write("stopping…")
        finally:
            _stop([child.process for child in children if child.process])


def site_url_for_bind(bind: str) -> str | None:
    """The address links in messages should use for ``--bind HOST:PORT`` (``0.0.0.0`` and
    ``::`` listen everywhere: links name 127.0.0.1); None for a ``unix:`` or ``fd://`` bind."""
    if bind.startswith(("unix:", "fd://")):
        return None
    host, _sep, port = bind.rpartition(":")
    if not port.isdigit():
        host, port = bind, "8000"
    host = host.strip("[]") or "127.0.0.1"
    if host in ("0.0.0.0", "::", "0"):  # noqa: S104
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def child_env(bind: str, environ) -> dict:
    """The environment of the web server and worker: ``PIWARDEN_SITE_URL`` follows ``--bind``
    unless the operator set it (behind a proxy it names the public address)."""
    env = dict(environ)
    if not env.get("PIWARDEN_SITE_URL") and (url := site_url_for_bind(bind)):
        env["PIWARDEN_SITE_URL"] = url
    return env


def _fresh_metrics_dir(bind: str) -> Path:
    """Per-process Prometheus counts of this run (metrics.py); last run's are stale. One
    folder per bind address: two instances on one host must not wipe each other's."""
    path = Path(settings.DATA_DIR) / "metrics" / bind.replace(":", "_").replace("/", "_")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _schedule_recurring_jobs() -> None:
    """Runs that re-queue themselves: the hourly retention run (collection.md), the outbox
    sweep every five minutes (outbox.md), the daily deletion and contract checks and the
    daily pruning of succeeded jobs (jobs.md)."""
    from piwarden.audit import tasks as audit
    from piwarden.collection import tasks as collection
    from piwarden.discovery import tasks as discovery
    from piwarden.incidents import tasks as incidents
    from piwarden.jobs import tasks as jobs
    from piwarden.outbox import tasks as outbox
    from piwarden.publication import tasks as publication
    from piwarden.roles import tasks as roles
    from piwarden.sharing import tasks as sharing
    from piwarden.sites import tasks as sites
    from piwarden.transfers import tasks as transfers

    collection.ensure_scheduled()
    sites.ensure_scheduled()  # notices due and services ending (sites.md), every 15 minutes
    outbox.ensure_scheduled()
    sharing.ensure_scheduled()
    jobs.ensure_scheduled()
    incidents.ensure_scheduled()  # reporting deadlines, progress updates, drills
    publication.ensure_scheduled()  # withdrawn stories taken down (publication.md)
    transfers.ensure_scheduled()  # mechanisms expiring, standard contracts to file (daily)
    roles.ensure_scheduled()  # grants expiring, access review (staff.md), every 15 minutes
    audit.ensure_scheduled()  # anomaly alerts from the audit trail, every minute
    discovery.ensure_scheduled()  # PI left in stored events redacted (discovery.md), 15 min


def _die_with_parent() -> None:
    """In the child, before it runs: on Linux, have the kernel send it SIGTERM when ``serve``
    itself dies (even by SIGKILL), so no orphaned web server or worker is left behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(processes, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
