"""Fixtures of the jobs tests: the job backend in charge, worker processes against the test
database, and cleaning up what tests with real commits leave behind."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from piwarden.alerts.models import Alert
from piwarden.jobs.models import Job, WorkerBeat

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _job_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "piwarden.jobs.backend.JobBackend",
                                  "QUEUES": ["default", "tests"]}}
    settings.PIWARDEN_TASK_MAX_ATTEMPTS = 3
    settings.PIWARDEN_TASK_BACKOFF_SECONDS = 10
    settings.PIWARDEN_TASK_LEASE_SECONDS = 60


@pytest.fixture
def committed_jobs(committed_db):
    """``committed_db``, and the jobs, worker rows and alerts the test committed removed."""
    jobs = set(Job.objects.values_list("pk", flat=True))
    alert = Alert.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        yield
    finally:
        Job.objects.exclude(pk__in=jobs).delete()
        WorkerBeat.objects.all().delete()
        Alert.objects.filter(pk__gt=alert).delete()


class Workers:
    """Start ``piwarden worker`` processes on the test database; all are stopped at the end."""

    def __init__(self, database_url: str, log_dir: Path):
        self.database_url, self.log_dir = database_url, log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str, lease: float = 2, **env: str) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "piwarden", "worker", *args], cwd=REPO,
            env={**os.environ, "DATABASE_URL": self.database_url,
                 "DJANGO_SETTINGS_MODULE": "piwarden.settings", "PIWARDEN_LOG_LEVEL": "INFO",
                 "PIWARDEN_TASK_LEASE_SECONDS": str(lease),
                 "PIWARDEN_TASK_BACKOFF_SECONDS": "0", **env},
            stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log.name
        log.close()
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "".join(Path(p.log_path).read_text() for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)


@pytest.fixture
def workers(committed_jobs, test_database_url, tmp_path):
    started = Workers(test_database_url, tmp_path)
    try:
        yield started
    finally:
        started.stop()


def wait_for(condition, *, timeout: float = 60, what: str = "the condition"):
    """Poll ``condition()`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
