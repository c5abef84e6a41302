"""Audit trail throughput: appends per second with 1 and 4 writers, and verification speed.

    python bench/audit_append.py [--db sqlite|postgres] [--records 6000]

Each append carries catalogued categories and a purpose, so the catalog check is on the
measured path. Figures: one append per transaction with 1 and 4 writers (every append pays a
durable commit), and 100 appends per transaction (the append's own cost). For scale,
``commit_floor_per_s`` is what the bare database driver does on the same connection with no
Django and no audit: ``BEGIN``, insert one short row, ``COMMIT``, one writer; no
one-append-per-transaction figure can exceed it. Runs on a scratch database that it creates
and removes. Prints one JSON object per figure.
"""

import argparse
import json
import multiprocessing
import time

from _common import ensure_project_python, scratch_database, setup_django

PG_BENCH_DB = "piwarden_bench"


def _sample_keys() -> tuple[list[str], str]:
    from piwarden.catalog.models import DataCategory, Purpose

    categories = list(DataCategory.objects.order_by("key").values_list("key", flat=True)[:2])
    return categories, Purpose.objects.order_by("key").values_list("key", flat=True).first()


def _append(count: int, writer: int, per_transaction: int = 1) -> None:
    from django.db import transaction

    from piwarden.audit import services
    from piwarden.audit.actors import Actor

    categories, purpose = _sample_keys()
    actor = Actor.system(f"bench-{writer}")
    for first in range(0, count, per_transaction):
        with transaction.atomic():
            for number in range(first, min(count, first + per_transaction)):
                services.record(actor=actor, action="bench.append", categories=categories,
                                purpose=purpose, detail={"writer": writer, "n": number})


def _commit_floor(count: int) -> float:
    """Transactions per second of the bare driver: BEGIN, one short INSERT, COMMIT."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    raw.execute("CREATE TABLE bench_commit_floor (note TEXT)")  # logged, like the trail
    insert = "INSERT INTO bench_commit_floor (note) VALUES (%s)"
    if connection.vendor == "postgresql":
        def one(number):
            with raw.transaction():
                raw.execute(insert, [str(number)], prepare=True)
    else:
        insert = insert.replace("%s", "?")

        def one(number):
            raw.execute("BEGIN IMMEDIATE")
            raw.execute(insert, [str(number)])
            raw.commit()
    started = time.perf_counter()
    for number in range(count):
        one(number)
    elapsed = time.perf_counter() - started
    raw.execute("DROP TABLE bench_commit_floor")
    return count / elapsed


def _writer_process(database_url, data_dir, count, writer, barrier, results) -> None:
    setup_django(database_url, data_dir)
    _sample_keys()  # warm the connection and the catalog cache before the clock starts
    barrier.wait()
    started = time.perf_counter()
    _append(count, writer)
    results.put((started, time.perf_counter()))


def _parallel(database_url, data_dir, total, writers) -> float:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(writers), context.Queue()
    processes = [
        context.Process(target=_writer_process,
                        args=(database_url, data_dir, total // writers, n, barrier, results))
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    spans = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a writer process failed with exit code {process.exitcode}")
    return (total // writers * writers) / (max(end for _, end in spans) -
                                           min(start for start, _ in spans))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--records", type=int, default=6000, help="appends per measurement")
    args = parser.parse_args()

    with scratch_database(args.db, PG_BENCH_DB) as (database_url, data_dir):
        from piwarden.audit import services

        common = {"unit": "1/s", "db": args.db, "records": args.records}

        started = time.perf_counter()
        _append(args.records, writer=0)
        single = args.records / (time.perf_counter() - started)
        print(json.dumps({"metric": "appends_per_s", "value": round(single), "writers": 1,
                          "per_transaction": 1, **common}), flush=True)

        # The append's own cost, when the caller's transaction is already open and commits
        # once for a batch of records (e.g. one export touching many subjects).
        started = time.perf_counter()
        _append(args.records, writer=0, per_transaction=100)
        batched = args.records / (time.perf_counter() - started)
        print(json.dumps({"metric": "appends_per_s", "value": round(batched), "writers": 1,
                          "per_transaction": 100, **common}), flush=True)

        from django.db import connections

        connections.close_all()
        four = _parallel(database_url, data_dir, args.records, writers=4)
        print(json.dumps({"metric": "appends_per_s", "value": round(four), "writers": 4,
                          "per_transaction": 1, **common}), flush=True)

        print(json.dumps({"metric": "commit_floor_per_s", "value": round(_commit_floor(
            args.records)), "writers": 1, "per_transaction": 1, **common}), flush=True)

        started = time.perf_counter()
        result = services.verify()
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise SystemExit(f"chain broken after the bench: {result}")
        print(json.dumps({"metric": "verify_records_per_s", "value": round(result.checked /
                          elapsed), "unit": "1/s", "db": args.db, "records": result.checked}))
        connections.close_all()


if __name__ == "__main__":
    ensure_project_python()
    main()
