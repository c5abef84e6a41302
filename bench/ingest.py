"""Event ingestion speed: batches of 1,000 events through the real service, minimization on.

    python bench/ingest.py [--db sqlite|postgres] [--events 200000] [--subjects 10000]
                           [--writers 2]                    # also N writer processes (0: skip)
    python bench/ingest.py --db postgres --fill 1000000     # also time a bulk fill

Each batch is a realistic mix (page views with a URL, referrer, query string and IP, downloads,
device records with a user agent from a pool of real ones), sent through
``collection.services.ingest``: validation, IP truncation, query-string filtering, PI redaction,
user-agent parsing, one consent decision per event, duplicate check, bulk insert and one audit
record per batch. Runs on a scratch database that it creates and removes; prints one JSON object
per figure.

``fill(events=, subjects=, heavy_events=)`` is importable (``from ingest import fill`` when run
from the repository root) for other benches: it bulk-inserts already-minimized events (no
audit record; filling is not what they measure) and returns the id of one subject that holds
``heavy_events`` of them.
"""

import argparse
import json
import multiprocessing
import os
import random
import time
import uuid
from datetime import timedelta

from _common import ensure_project_python, scratch_database, setup_django

PG_BENCH_DB = f"piwarden_bench_ingest_{os.getpid()}"  # runs side by side never collide
BATCH = 1000
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1",
]
PAGES = ["/", "/products", "/products/ecu-7", "/support", "/downloads", "/news/2026-11",
         "/user/orders", "/search"]


def _subjects(count: int) -> list:
    from django.db import transaction

    from piwarden.subjects.models import Subject, SubjectKind

    rows = [Subject(kind=SubjectKind.ACCOUNT_HOLDER if n % 3 else SubjectKind.VISITOR)
            for n in range(count)]
    with transaction.atomic():
        Subject.objects.bulk_create(rows, batch_size=5000)
    return [row.pk for row in rows]


def _event(rng: random.Random, number: int, subject, now) -> dict:
    """A page view (70%), device record (20%) or download (10%), as a site's server sends it."""
    roll = rng.random()
    base = {"event_id": f"b{number}", "subject": str(subject),
            "occurred_at": (now - timedelta(seconds=rng.randrange(86_400))).isoformat()}
    ua = USER_AGENTS[rng.randrange(len(USER_AGENTS))]
    if roll < 0.7:
        page = PAGES[rng.randrange(len(PAGES))]
        return {**base, "kind": "page_view", "data": {
            "url": f"https://www.example.cn{page}?page={rng.randrange(9)}&utm_source=ad"
                   f"&session={uuid.uuid4().hex[:12]}",
            "referrer": "https://search.example/?q=ecu+tuning",
            "ip": f"203.0.{rng.randrange(256)}.{rng.randrange(256)}",
            "user_agent": ua, "language": "zh-CN", "duration_ms": rng.randrange(60_000),
            **({"utm_campaign": "x"} if rng.random() < 0.1 else {})}}
    if roll < 0.9:
        return {**base, "kind": "device", "data": {
            "user_agent": ua, "language": "zh-CN", "network_type": "wifi",
            "screen": "1920x1080"}}
    return {**base, "kind": "download", "data": {
        "url": "https://www.example.cn/downloads", "ip": f"198.51.100.{rng.randrange(256)}",
        "download": f"https://cdn.example.cn/tool-{rng.randrange(5)}.zip?version=2&token=abc",
        "user_agent": ua}}


def _bodies(rng: random.Random, ids: list, now, first: int, events: int) -> list[str]:
    """The batches as the JSON texts a site sends. Kept as text until each is sent: 200,000
    events held as Python objects made the garbage collector scan them all, over and over,
    during the measurement (a cost of the bench, not of ingestion; a server holds one batch)."""
    return [json.dumps([_event(rng, start + n, ids[rng.randrange(len(ids))], now)
                        for n in range(min(BATCH, first + events - start))])
            for start in range(first, first + events, BATCH)]


def _ingest_figure(db: str, events: int, subjects: int) -> None:
    from django.utils import timezone

    from piwarden.audit.actors import Actor
    from piwarden.collection import services
    from piwarden.collection.models import Event

    rng = random.Random(5)  # noqa: S311 (test data, not secrets)
    ids = _subjects(subjects)
    now = timezone.now()
    bodies = _bodies(rng, ids, now, 0, events)
    actor = Actor.system("bench")
    services.ingest(actor=actor, source="bench:warm", events=json.loads(bodies[0])[:10])
    elapsed = cpu = 0.0
    for body in bodies:
        batch = json.loads(body)  # as a request hands it over; not part of the figure
        started, cpu_started = time.perf_counter(), time.process_time()
        result = services.ingest(actor=actor, source="bench", events=batch)
        elapsed += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        assert result.count("stored") == len(batch), result.as_json()["results"][:3]
    retry_started = time.perf_counter()
    result = services.ingest(actor=actor, source="bench", events=json.loads(bodies[0]))
    retry_ms = (time.perf_counter() - retry_started) * 1000
    assert result.count("duplicate") == BATCH
    stored = Event.objects.filter(source="bench").count()
    print(json.dumps({"metric": "events_per_s", "value": round(events / elapsed), "unit": "1/s",
                      "db": db, "events": events, "batch": BATCH, "subjects": subjects,
                      "stored": stored, "path": "services.ingest (in process)",
                      "per_cpu_s": round(events / cpu),
                      "target": 20_000 if db == "postgres" else 10_000}), flush=True)
    print(json.dumps({"metric": "duplicate_batch_ms", "value": round(retry_ms, 1), "unit": "ms",
                      "db": db, "batch": BATCH}), flush=True)


def _writer_process(database_url, data_dir, ids, events, writer, barrier, results) -> None:
    """One writer (think: one gunicorn worker) sending its share of the batches."""
    setup_django(database_url, data_dir)
    from django.utils import timezone

    from piwarden.audit.actors import Actor
    from piwarden.collection import services

    rng = random.Random(100 + writer)  # noqa: S311 (test data, not secrets)
    now = timezone.now()
    bodies = _bodies(rng, ids, now, 0, events)
    actor = Actor.system("bench")
    services.ingest(actor=actor, source=f"warm{writer}", events=json.loads(bodies[0])[:10])
    barrier.wait()
    started, parsing = time.perf_counter(), 0.0
    for body in bodies:
        parse_started = time.perf_counter()
        batch = json.loads(body)
        parsing += time.perf_counter() - parse_started
        services.ingest(actor=actor, source=f"writer{writer}", events=batch)
    results.put((started, time.perf_counter(), parsing))


def _parallel_figure(db: str, database_url: str, data_dir: str, events: int, subjects: int,
                     writers: int) -> None:
    from django.db import connections

    ids = _subjects(subjects)
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(writers), context.Queue()
    share = events // writers
    processes = [context.Process(target=_writer_process, args=(
        database_url, data_dir, ids, share, n, barrier, results)) for n in range(writers)]
    for process in processes:
        process.start()
    spans = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a writer process failed with exit code {process.exitcode}")
    # The writers' JSON parsing is left out, as in the one-process figure (the longest of
    # them, since they parse side by side).
    elapsed = (max(end for _, end, _ in spans) - min(start for start, _, _ in spans)
               - max(parsing for _, _, parsing in spans))
    print(json.dumps({"metric": "events_per_s", "value": round(share * writers / elapsed),
                      "unit": "1/s", "db": db, "events": share * writers, "batch": BATCH,
                      "writers": writers, "path": "services.ingest (one process per writer)",
                      "target": 20_000 if db == "postgres" else 10_000}), flush=True)


def _api_figure(db: str, events: int, subjects: int) -> None:
    """The same batches through the API stack in process (Django test client: routing,
    API-key check, JSON parsing and rendering), without a network hop."""
    from django.test import Client
    from django.utils import timezone

    from piwarden.audit.actors import Actor
    from piwarden.clients import services as clients

    _, key = clients.create_client(actor=Actor.system("bench"), name="bench-ingest",
                                   scopes=["collection:write"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    rng = random.Random(6)  # noqa: S311 (test data, not secrets)
    ids = _subjects(subjects)
    now = timezone.now()
    bodies = [json.dumps({"events": [_event(rng, first + n, ids[rng.randrange(len(ids))], now)
                                     for n in range(BATCH)]})
              for first in range(0, events, BATCH)]
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/api/v1/collection/events", body,
                               content_type="application/json")
        assert response.status_code == 200 and response.json()["stored"] == BATCH
    elapsed = time.perf_counter() - started
    print(json.dumps({"metric": "events_per_s", "value": round(events / elapsed), "unit": "1/s",
                      "db": db, "events": events, "batch": BATCH,
                      "path": "POST /api/v1/collection/events (in-process test client)"}),
          flush=True)


def fill(*, events: int, subjects: int, heavy_events: int = 10_000):
    """Bulk-insert ``events`` minimized events over ``subjects`` new subjects; one of them (the
    returned id) holds ``heavy_events``, the rest are spread evenly. Call after Django is set
    up on a migrated database with the catalog loaded."""
    from django.db import transaction
    from django.utils import timezone

    from piwarden.collection import rows as stored
    from piwarden.collection.minimize import parse_ua

    rng = random.Random(11)  # noqa: S311 (test data, not secrets)
    ids = _subjects(max(1, subjects))
    heavy, others = ids[0], ids[1:] or ids
    now = timezone.now()
    agents = [parse_ua(ua) for ua in USER_AGENTS]
    run = uuid.uuid4().hex[:8]
    kinds = [("page_view", "log.access")] * 7 + [("device", "device.browser_info")] * 2 + [
        ("download", "log.access")]
    for first in range(0, events, 10_000):
        rows = []
        for number in range(first, min(events, first + 10_000)):
            subject = heavy if number < heavy_events else others[number % len(others)]
            kind, activity = kinds[number % 10]
            browser, os_name, device_type = agents[number % len(agents)]
            logged = activity == "log.access"
            values = {
                "source": f"fill:{run}", "event_id": str(number), "subject_id": subject,
                "kind": kind, "activity": activity,
                "occurred_at": now - timedelta(seconds=rng.randrange(330 * 86_400)),
                "ip": f"203.0.{number % 256}.0/24" if logged else "",
                "url": f"https://www.example.cn{PAGES[number % len(PAGES)]}?page=2"
                if logged else "",
                "duration_ms": rng.randrange(60_000) if kind == "page_view" else None,
                "browser": browser, "os": os_name, "device_type": device_type,
                "language": "zh-CN"}
            rows.append([values.get(name, None if name in stored.NULLABLE else "")
                         for name in stored.COLUMNS])
        with transaction.atomic():
            # The ingestion's own multi-row insert, without minimization (the rows are built
            # minimized) and without an audit record per chunk: seeding is not measured.
            stored.insert(rows, now)
    return heavy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--writers", type=int, default=2,
                        help="also measure with this many writer processes (0: skip)")
    parser.add_argument("--fill", type=int, default=0, metavar="N",
                        help="also bulk-fill N events over --subjects subjects and time it")
    args = parser.parse_args()
    ensure_project_python()
    with scratch_database(args.db, PG_BENCH_DB) as (database_url, data_dir):
        _ingest_figure(args.db, args.events, args.subjects)
        if args.writers > 1:
            _parallel_figure(args.db, database_url, data_dir, args.events, args.subjects,
                             args.writers)
        _api_figure(args.db, min(args.events, 50_000), args.subjects)
        if args.fill:
            started = time.perf_counter()
            fill(events=args.fill, subjects=args.subjects)
            elapsed = time.perf_counter() - started
            print(json.dumps({"metric": "fill_events_per_s", "value": round(args.fill / elapsed),
                              "unit": "1/s", "db": args.db, "events": args.fill,
                              "subjects": args.subjects, "seconds": round(elapsed, 1)}),
                  flush=True)


if __name__ == "__main__":
    main()
