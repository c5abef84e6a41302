"""`piwarden serve`: gunicorn and the task worker as one unit; Ctrl-C stops both."""

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

# No client address and no query string: access logs must not become a store of PI.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and the background task worker until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, bind, workers, **options):
        commands = {
            "web": [
                sys.executable, "-m", "gunicorn", "piwarden.wsgi:application",
                "--bind", bind, "--workers", str(workers),
                "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
                "--no-control-socket",
            ],
            "worker": [sys.executable, "-m", "piwarden", "db_worker", "--no-reload"],
        }
        from piwarden.collection import tasks as collection
        from piwarden.outbox import tasks as outbox
        from piwarden.sharing import tasks as sharing

        # Runs that re-queue themselves: the hourly retention run (collection.md), the outbox
        # sweep every five minutes (outbox.md) and the daily deletion and contract checks.
        collection.ensure_scheduled()
        outbox.ensure_scheduled()
        sharing.ensure_scheduled()
        # Installed explicitly: a shell that starts us in the background may have ignored SIGINT.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
        processes = {name: subprocess.Popen(argv) for name, argv in commands.items()}  # noqa: S603
        self.stdout.write(f"piwarden is running at http://{bind}/ (Ctrl-C stops it)")
        exit_code = 0
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            for name, process in processes.items():
                if process.returncode is not None:
                    self.stderr.write(f"{name} exited with code {process.returncode}")
                    exit_code = process.returncode or 1
        except KeyboardInterrupt:
            self.stdout.write("stopping…")
        finally:
            _stop(processes.values())
        if exit_code:
            sys.exit(exit_code)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(processes, grace_seconds: float = 10) -> None:
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
