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
- ``banner_gzip_bytes``: the banner script's size gzipped (target < 10 KB).
Prints one JSON object per figure.
"""

import argparse
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

from _common import REPO, VENV, ensure_project_python, scratch_database

PG_BENCH_DB = "piwarden_bench_decisions"
CLIENTS = 8
BATCH = 100
WRITE_BATCH = 50
PURPOSES = ("marketing.email", "survey")
WORKERS = os.cpu_count() or 1  # CPU-bound requests: one process per core


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
    server = subprocess.Popen(
        [str(VENV / "bin" / "gunicorn"), "piwarden.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--log-level", "warning"],
        env=env, cwd=REPO)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("gunicorn did not start")


def _bodies(kind: str, ids: list[str], rng: random.Random) -> list[tuple[str, bytes]]:
    """Requests made before the clock starts, so that the clients measure the server."""
    requests = []
    for _ in range(500):
        if kind == "decisions":
            body = {"items": [{"subject": rng.choice(ids), "purpose": rng.choice(PURPOSES)}
                              for _ in range(BATCH)]}
            requests.append(("/api/v1/consent/decisions", json.dumps(body).encode()))
        elif kind == "writes":
            body = {"purpose": "survey", "choice": rng.choice(("grant", "withdraw")),
                    "notice_text": "bench notice"}
            requests.append((f"/api/v1/consent/subjects/{rng.choice(ids)}/events",
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


def _load(kind, port, key, ids, seconds, warmup) -> tuple[float, list[float]]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(CLIENTS + 1), context.Queue()
    clients = [context.Process(target=_client, args=(kind, port, key, ids, seconds, warmup,
                                                     barrier, results)) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    barrier.wait()
    barrier.wait()  # after the warm-up
    started = time.perf_counter()
    outcomes = [results.get(timeout=warmup + seconds + 120) for _ in clients]
    elapsed = time.perf_counter() - started
    for client in clients:
        client.join()
    latencies = sorted(lat for _, lats in outcomes for lat in lats)
    return sum(done for done, _ in outcomes) / elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per HTTP measurement")
    parser.add_argument("--warmup", type=float, default=60.0,
                        help="unmeasured seconds before the decisions are timed, while the "
                             "server processes fill their caches (3 s before the writes)")
    args = parser.parse_args()

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

        rate = _inprocess(ids, rounds=20)
        print(json.dumps({"metric": "inprocess_decisions_per_s", "value": round(rate),
                          "unit": "1/s", "cache": "warm", **common}), flush=True)
        connections.close_all()

        port = _free_port()
        server = _serve(port, dict(os.environ))
        try:
            rate, latencies = _load("decisions", port, key, ids, args.seconds, args.warmup)
            http_common = {"clients": CLIENTS, "seconds": args.seconds, "warmup": args.warmup,
                           "workers": WORKERS, **common}
            print(json.dumps({"metric": "http_decisions_per_s", "value": round(rate),
                              "unit": "1/s", "batch": BATCH, **http_common}), flush=True)
            p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
            p50 = latencies[len(latencies) // 2] * 1000
            print(json.dumps({"metric": "http_batch_p99_ms", "value": round(p99, 2), "unit": "ms",
                              "p50_ms": round(p50, 2), "batch": BATCH, "batches": len(latencies),
                              **http_common}), flush=True)
            for kind, metric, batch in (("batch_writes", "consent_writes_per_s", WRITE_BATCH),
                                        ("writes", "consent_single_writes_per_s", 1)):
                rate, latencies = _load(kind, port, key, ids, args.seconds, min(args.warmup, 3))
                print(json.dumps({"metric": metric, "value": round(rate), "unit": "1/s",
                                  "batch": batch, "p99_ms": round(
                                      latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
                                  **{**http_common, "warmup": min(args.warmup, 3)}}), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
        banner = REPO / "src/piwarden/consent/static/piwarden/banner.js"
        print(json.dumps({"metric": "banner_gzip_bytes",
                          "value": len(gzip.compress(banner.read_bytes(), 9)),
                          "unit": "bytes", "raw_bytes": banner.stat().st_size}), flush=True)


if __name__ == "__main__":
    ensure_project_python()
    main()
