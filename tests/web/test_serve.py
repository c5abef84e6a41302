"""`piwarden serve` starts gunicorn and the task worker together and Ctrl-C stops both."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)],
                            capture_output=True, text=True, check=False)
    return [int(line) for line in result.stdout.split()]


def test_serve_runs_web_and_worker_and_stops_both_on_ctrl_c(committed_db, test_database_url):
    """The web server answers /healthz, the worker runs, and SIGINT leaves nothing behind."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "piwarden", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "1"],
        env={**os.environ, "DATABASE_URL": test_database_url}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 60
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read().decode()
            except OSError:
                time.sleep(0.3)
        assert body is not None and '"status": "ok"' in body
        children = _children(process.pid)
        assert len(children) == 2  # gunicorn and the worker
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "GET /healthz" in output  # access log: method and path only, no query, no client IP
    for child in children:
        assert not os.path.exists(f"/proc/{child}") or _is_zombie(child)


def _is_zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] == "Z"
