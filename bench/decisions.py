"""Consent decision and consent write speed, in process and over HTTP.

    python bench/decisions.py [--db sqlite|postgres] [--subjects 100000] [--seconds 10]

Builds a scratch database with ``--subjects`` people, half of whom granted two purposes (rows
bulk-inserted: the setup is not what is measured). Then measures:
- ``inprocess_decisions_per_s``: ``decide()`` with a warm cache, one process, one core;
- ``http_decisions_per_s`` and ``http_batch_p99_ms``: POST /api/v1/consent/decisions with batches
  of 100 random subjects from 8 concurrent client processes, against gunicorn (one worker per
  core), in the steady state: after an unmeasured warm-up (``--warmup``, 60 s) in which the
  workers' caches come to hold the subjects;
- ``consent_writes_per_s``: grants and withdrawals over HTTP from 8 client processes, as a
  site's back-end forwards them: batches of 50 choices per request (POST /api/v1/consent/events,
  one durable transaction each; every choice its own event, state row and audit record);
- ``consent_single_writes_per_s``: the same, one choice per request (POST
  /api/v1/consent/subjects/{id}/events);
- on ``--db postgres``, the server's CPU per unit of work, over HTTP with 8 client processes:
  the CPU time (user + system, from /proc/<pid>/stat) that gunicorn's worker processes spent
  during the measured window, divided by the requests they answered; the database and the
  clients are not counted. ``cpu_ms_per_decision_request``: one subject+purpose question per
  request (POST /api/v1/consent/decisions with one item; a warm cache: the questions name 500
  subjects, which the warm-up puts in every worker's cache); ``cpu_ms_per_single_write``: one
  choice per request, a grant that changes nothing (people who granted already; still a new
  event and audit record); ``cpu_ms_per_single_write_mixed``: the single-write load above
  (grants and withdrawals, half each, on anyone);
- ``sql_per_repeated_grant`` and ``sql_per_withdrawal``: the SQL statements one choice recorded
  through the API's write path runs in its transaction (in process; BEGIN, COMMIT and
  savepoints not counted; an audit record counts as one, however ``audit.store`` writes it);
- ``banner_gzip_bytes``: the banner script's size gzipped (target < 10 KB).
Prints one JSON object per figure.
"""

import argparse
import contextlib
import gzip
import http.client
import json
import multiprocessing
import os
import random
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

from _common import REPO, VENV, ensure_project_python, scratch_database

PG_BENCH_DB = "piwarden_bench_decisions"
CLIENTS = 8
BATCH = 100
WRITE_BATCH = 50
PURPOSES = ("marketing.email", "survey")
WORKERS = os.cpu_count() or 1  # CPU-bound requests: one process per core
SINGLE_SUBJECTS = 500  # the people one-question requests ask about (all cached after warm-up)


def _populate(count: int) -> list[str]:
    """``count`` subjects; every other one granted PURPOSES. Bulk rows, no audit: setup only."""
    from django.db import transaction

    from piwarden.consent.models import ConsentEvent, ConsentState, Notice
    from piwarden.subjects.models import Subject

    notice = Notice.objects.create(sha256="0" * 64, text="bench notice")
    ids = [uuid.uuid4() for _ in range(count)]
    for start in range(0, count, 5000):
        with transaction.atomic():
            chunk = ids[start:start + 5000]
            Subject.objects.bulk_create([Subject(pk=i, kind="account_holder") for i in chunk])
            events = ConsentEvent.objects.bulk_create([
                ConsentEvent(subject_id=i, purpose=p, choice="grant", policy_version="2026.1",
                             notice=notice, channel="web", actor_kind="system",
                             actor_id="bench")
                for i in chunk[::2] for p in PURPOSES])
            ConsentState.objects.bulk_create([
                ConsentState(subject_id=e.subject_id, purpose=e.purpose, scope="general",
                             choice="grant", policy_version="2026.1",
                             changed_at=e.occurred_at, event_id=e.pk)
                for e in events])
    return [str(i) for i in ids]


def _inprocess(ids: list[str], rounds: int) -> float:
    from piwarden.consent.decisions import decide

    sample = [uuid.UUID(i) for i in ids[:10000]]
    questions = [(s, PURPOSES[n % 2], ("user.contact.email",) if n % 2 == 0 else ())
                 for n, s in enumerate(sample)]
    questions = [(s, p, frozenset(c)) for s, p, c in questions]
    for subject, purpose, categories in questions:  # warm the cache
        decide(subject, purpose, categories)
    started = time.perf_counter()
    for _ in range(rounds):
        for subject, purpose, categories in questions:
            decide(subject, purpose, categories)
    return rounds * len(questions) / (time.perf_counter() - started)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(port: int, env: dict) -> subprocess.Popen:
    """gunicorn with the deployment's settings (``piwarden.gunicorn_conf``, as ``piwarden
    serve`` uses them), one worker per core."""
    server = subprocess.Popen(
        [str(VENV / "bin" / "gunicorn"), "piwarden.wsgi:application",
         "--config", "python:piwarden.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--log-level", "warning", "--access-logfile", "/dev/null"],
        env=env, cwd=REPO)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("gunicorn did not start")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, user + system CPU ticks) of a process, from /proc (None once gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12])  # ppid, utime + stime


def _worker_ticks(master: int) -> dict[int, int]:
    """CPU ticks used so far by each worker process (the master's children)."""
    ticks = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and stat[0] == master:
                ticks[int(name)] = stat[1]
    return ticks


def _cpu_seconds(before: dict[int, int], after: dict[int, int]) -> float:
    """Worker CPU between two readings (workers present at both; gunicorn restarts none)."""
    used = sum(after[pid] - before[pid] for pid in before.keys() & after.keys())
    return used / os.sysconf("SC_CLK_TCK")


def _bodies(kind: str, ids: list[str], rng: random.Random) -> list[tuple[str, bytes]]:
    """Requests made before the clock starts, so that the clients measure the server."""
    requests = []
    granted = ids[::2]  # _populate granted both PURPOSES to every other subject
    for _ in range(500):
        if kind == "decisions":
            body = {"items": [{"subject": rng.choice(ids), "purpose": rng.choice(PURPOSES)}
                              for _ in range(BATCH)]}
            requests.append(("/api/v1/consent/decisions", json.dumps(body).encode()))
        elif kind == "decision":  # one question per request, on subjects the warm-up caches
            body = {"items": [{"subject": rng.choice(ids[:SINGLE_SUBJECTS]),
                               "purpose": rng.choice(PURPOSES)}]}
            requests.append(("/api/v1/consent/decisions", json.dumps(body).encode()))
        elif kind in ("writes", "grants"):
            body = {"purpose": "survey", "notice_text": "bench notice",
                    "choice": "grant" if kind == "grants" else rng.choice(("grant", "withdraw"))}
            subject = rng.choice(granted if kind == "grants" else ids)
            requests.append((f"/api/v1/consent/subjects/{subject}/events",
                             json.dumps(body).encode()))
        else:
            body = {"items": [{"subject": subject, "purpose": "survey",
                               "choice": rng.choice(("grant", "withdraw")),
                               "notice_text": "bench notice"}
                              for subject in rng.sample(ids, WRITE_BATCH)]}
            requests.append(("/api/v1/consent/events", json.dumps(body).encode()))
    return requests


def _client(kind, port, key, ids, seconds, warmup, barrier, results) -> None:
    """One client: keeps a connection open and sends requests back to back; the first
    ``warmup`` seconds (the server processes filling their caches) are not measured."""
    requests = _bodies(kind, ids, random.Random())  # noqa: S311 (load, not secrets)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    sent = 0

    def send() -> float:
        nonlocal sent
        path, body = requests[sent % len(requests)]
        sent += 1
        started = time.perf_counter()
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 201):
            raise SystemExit(f"{path} answered {response.status}")
        return time.perf_counter() - started

    barrier.wait()
    deadline = time.perf_counter() + warmup
    while time.perf_counter() < deadline:
        send()
    barrier.wait()
    latencies, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        latencies.append(send())
    per_request = {"decisions": BATCH, "batch_writes": WRITE_BATCH}.get(kind, 1)
    results.put((len(latencies) * per_request, latencies))


def _load(kind, port, key, ids, seconds, warmup, master: int
          ) -> tuple[float, list[float], float]:
    """Units per second, the requests' latencies, and the workers' CPU seconds per request,
    all over the measured window."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(CLIENTS + 1), context.Queue()
    clients = [context.Process(target=_client, args=(kind, port, key, ids, seconds, warmup,
                                                     barrier, results)) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    barrier.wait()
    barrier.wait()  # after the warm-up
    ticks = _worker_ticks(master)
    started = time.perf_counter()
    outcomes = [results.get(timeout=warmup + seconds + 120) for _ in clients]
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds(ticks, _worker_ticks(master))
    for client in clients:
        client.join()
    latencies = sorted(lat for _, lats in outcomes for lat in lats)
    return (sum(done for done, _ in outcomes) / elapsed, latencies,
            cpu / max(1, len(latencies)))


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
_AUDIT_STORE = ("audit_chainhead", "audit_auditevent", "piwarden_audit_append")


@contextlib.contextmanager
def _statements() -> Iterator[list[str]]:
    """Every SQL statement sent meanwhile, transaction control left out, each audit record
    counted as one. On PostgreSQL it counts at psycopg's cursor, which also sees the ledger's
    own server-binding cursor (Django's query log does not)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from piwarden.audit.models import AuditEvent

    sent: list[str] = []
    appended = AuditEvent.objects.count()
    if connection.vendor == "postgresql":
        import psycopg

        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

        def counted(self, query, *args, **kwargs):
            sent.append(str(query))
            return execute(self, query, *args, **kwargs)

        def counted_many(self, query, params_seq, *args, **kwargs):
            params_seq = list(params_seq)
            sent.extend([str(query)] * len(params_seq))
            return executemany(self, query, params_seq, *args, **kwargs)

        # The ledger's one-message write (store._send: BEGIN and the statement) is its one
        # statement.
        from piwarden.consent import store

        send = store._send

        def counted_send(connection, raw, params):
            sent.append("(consent write)")
            return send(connection, raw, params)

        psycopg.Cursor.execute, psycopg.Cursor.executemany = counted, counted_many
        store._send = counted_send
        try:
            yield sent
        finally:
            psycopg.Cursor.execute, psycopg.Cursor.executemany = execute, executemany
            store._send = send
    else:
        with CaptureQueriesContext(connection) as captured:
            yield sent
        sent.extend(query["sql"] for query in captured.captured_queries)
    sent[:] = [sql for sql in sent if not sql.lstrip().upper().startswith(_CONTROL)
               and not any(table in sql for table in _AUDIT_STORE)]
    sent.extend(["(audit record)"] * (AuditEvent.objects.count() - appended))


def _sql_per_choice(subject_id: str, choice: str) -> int:
    """Statements of one choice recorded the way the single-write endpoint records it."""
    from piwarden.audit.actors import Actor
    from piwarden.consent import services

    with _statements() as sent:
        services.record_choice(actor=Actor.system("bench"), subject_id=uuid.UUID(subject_id),
                               purpose="survey", choice=choice, notice_text="bench notice",
                               channel="api")
    return len(sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per HTTP measurement")
    parser.add_argument("--warmup", type=float, default=60.0,
                        help="unmeasured seconds before the decisions are timed, while the "
                             "server processes fill their caches (3 s before the writes, "
                             "10 s before the one-question requests)")
    parser.add_argument("--only", choices=["all", "per-request"], default="all",
                        help="per-request: only the one-question and one-choice figures")
    args = parser.parse_args()
    full = args.only == "all"

    with scratch_database(args.db, PG_BENCH_DB):
        from django.db import connections, transaction

        from piwarden.audit.actors import Actor
        from piwarden.clients.services import create_client

        actor = Actor.system("bench")
        ids = _populate(args.subjects)
        with transaction.atomic():
            _, key = create_client(actor=actor, name="bench", scopes=[
                "consent:decide", "consent:write"])
        common = {"db": args.db, "subjects": args.subjects}

        if full:
            rate = _inprocess(ids, rounds=20)
            print(json.dumps({"metric": "inprocess_decisions_per_s", "value": round(rate),
                              "unit": "1/s", "cache": "warm", **common}), flush=True)
        # People who granted survey already (_populate): the first grant warms the process
        # (catalog rules, notice); the second person grants again, withdraws, grants again.
        _sql_per_choice(ids[-4], "grant")
        counts = {"sql_per_repeated_grant": _sql_per_choice(ids[-2], "grant"),
                  "sql_per_withdrawal": _sql_per_choice(ids[-2], "withdraw")}
        _sql_per_choice(ids[-2], "grant")
        for metric, value in counts.items():
            print(json.dumps({"metric": metric, "value": value, "unit": "statements",
                              "excluding": "BEGIN, COMMIT, savepoints", **common}), flush=True)
        connections.close_all()

        port = _free_port()
        server = _serve(port, dict(os.environ))
        http_common = {"clients": CLIENTS, "seconds": args.seconds, "workers": WORKERS,
                       **common}

        def cpu(metric: str, per_request: float, warmup: float, **extra) -> None:
            if args.db == "postgres":
                print(json.dumps({"metric": metric, "value": round(per_request * 1000, 3),
                                  "unit": "ms", "of": "gunicorn workers' CPU per request",
                                  **extra, **{**http_common, "warmup": warmup}}), flush=True)

        try:
            if full:
                rate, latencies, per_request = _load("decisions", port, key, ids, args.seconds,
                                                     args.warmup, server.pid)
                print(json.dumps({"metric": "http_decisions_per_s", "value": round(rate),
                                  "unit": "1/s", "batch": BATCH, "warmup": args.warmup,
                                  **http_common}), flush=True)
                p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
                p50 = latencies[len(latencies) // 2] * 1000
                print(json.dumps({"metric": "http_batch_p99_ms", "value": round(p99, 2),
                                  "unit": "ms", "p50_ms": round(p50, 2), "batch": BATCH,
                                  "batches": len(latencies), "warmup": args.warmup,
                                  **http_common}), flush=True)
            warmup = min(args.warmup, 10)
            _, _, per_request = _load("decision", port, key, ids, args.seconds, warmup,
                                      server.pid)
            cpu("cpu_ms_per_decision_request", per_request, warmup, batch=1,
                subjects_asked=SINGLE_SUBJECTS)
            warmup = min(args.warmup, 3)
            _, _, per_request = _load("grants", port, key, ids, args.seconds, warmup,
                                      server.pid)
            cpu("cpu_ms_per_single_write", per_request, warmup, batch=1,
                choice="a grant that changes nothing")
            kinds = [("writes", "consent_single_writes_per_s", 1)]
            if full:
                kinds.insert(0, ("batch_writes", "consent_writes_per_s", WRITE_BATCH))
            for kind, metric, batch in kinds:
                rate, latencies, per_request = _load(kind, port, key, ids, args.seconds, warmup,
                                                     server.pid)
                print(json.dumps({"metric": metric, "value": round(rate), "unit": "1/s",
                                  "batch": batch, "p99_ms": round(
                                      latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
                                  "warmup": warmup, **http_common}), flush=True)
                if kind == "writes":
                    cpu("cpu_ms_per_single_write_mixed", per_request, warmup, batch=1,
                        choice="grant or withdraw, half each")
        finally:
            server.terminate()
            server.wait(timeout=30)
        if full:
            banner = REPO / "src/piwarden/consent/static/piwarden/banner.js"
            print(json.dumps({"metric": "banner_gzip_bytes",
                              "value": len(gzip.compress(banner.read_bytes(), 9)),
                              "unit": "bytes", "raw_bytes": banner.stat().st_size}), flush=True)


if __name__ == "__main__":
    ensure_project_python()
    main()
