"""`piwarden serve`: gunicorn and the task worker together, each restarted when it dies, and
Ctrl-C stops both."""

import json
import os
import signal

import pytest

from . import servers

pytestmark = pytest.mark.slow


def _stop(process) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    return output


def test_serve_runs_web_and_worker_and_stops_both_on_ctrl_c(committed_db, test_database_url):
    """The web server answers /healthz, the worker runs, and SIGINT leaves nothing behind."""
    process, base = servers.start(test_database_url)
    try:
        assert '"status": "ok"' in servers.get(f"{base}/healthz")[1]
        children = servers.children(process.pid)
        assert len(children) == 2  # gunicorn and the worker
    finally:
        output = _stop(process)
    assert process.returncode == 0, output
    assert "GET /healthz" in output  # access log: method and path only, no query, no client IP
    for child in children:
        assert not os.path.exists(f"/proc/{child}") or _is_zombie(child)


def test_a_killed_worker_is_restarted_while_the_site_keeps_answering(
        committed_db, test_database_url):
    """kill -9 of the task worker: /healthz never stops answering, a new worker starts, and
    /status reports its heartbeat."""
    process, base = servers.start(test_database_url)
    try:
        assert servers.wait_until(
            lambda: servers.get(f"{base}/status")[0] == 200, seconds=30), "worker never beat"
        worker = servers.child_running(process.pid, "piwarden worker")
        os.kill(worker, signal.SIGKILL)
        for _ in range(10):
            assert servers.get(f"{base}/healthz")[0] == 200
        assert servers.wait_until(
            lambda: servers.child_running(process.pid, "piwarden worker") not in (None, worker),
            seconds=15)
        assert servers.wait_until(
            lambda: json.loads(servers.get(f"{base}/status")[1])["worker"]["count"] >= 1,
            seconds=30)
    finally:
        output = _stop(process)
    assert "worker exited with code -9; restarting" in output


def test_a_killed_web_server_is_restarted_and_the_worker_lives_on(
        committed_db, test_database_url):
    process, base = servers.start(test_database_url)
    try:
        worker = servers.child_running(process.pid, "piwarden worker")
        web = servers.child_running(process.pid, "gunicorn")
        os.kill(web, signal.SIGKILL)
        assert servers.wait_until(
            lambda: servers.child_running(process.pid, "gunicorn") not in (None, web),
            seconds=30)
        assert servers.wait_until(lambda: servers.get(f"{base}/healthz")[0] == 200, seconds=60)
        assert servers.child_running(process.pid, "piwarden worker") == worker
    finally:
        output = _stop(process)
    assert "web exited with code -9; restarting" in output


def _is_zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] == "Z"


def test_a_killed_supervisor_leaves_no_orphans(committed_db, test_database_url):
    """kill -9 of `serve` itself: the kernel stops its web server and worker too."""
    process, _base = servers.start(test_database_url)
    children = servers.children(process.pid)
    process.kill()
    process.communicate(timeout=60)
    assert servers.wait_until(
        lambda: all(not os.path.exists(f"/proc/{child}") or _is_zombie(child)
                    for child in children), seconds=30)
