"""Starting real `piwarden serve` instances from tests, and talking to them."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)],
                            capture_output=True, text=True, check=False)
    return [int(line) for line in result.stdout.split()]


def command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def child_running(pid: int, marker: str) -> int | None:
    """The pid of the child of ``pid`` whose command line contains ``marker``."""
    for child in children(pid):
        if marker in command_of(child):
            return child
    return None


def start(database_url: str, *, workers: int = 1, env: dict | None = None):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "piwarden", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers)],
        env={**os.environ, "DATABASE_URL": database_url, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    if not wait_until(lambda: get(f"{base}/healthz")[0] == 200, seconds=60):
        os.killpg(process.pid, signal.SIGKILL)  # serve and everything it started
        raise AssertionError(process.communicate(timeout=30)[0])
    return process, base


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    return call("GET", url, None, headers)


def call(method: str, url: str, body: dict | None = None,
         headers: dict | None = None) -> tuple[int, str]:
    """One request on a new connection (as a new client would); (0, "") when none answers."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    data = json.dumps(body).encode() if body is not None else None
    try:
        connection.request(method, parts.path, data, {"Content-Type": "application/json",
                                                      **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode()
    except OSError:
        return 0, ""
    finally:
        connection.close()


def wait_until(condition, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False
