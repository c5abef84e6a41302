"""Audit trail throughput: appends per second with 1 and 4 writers, and verification speed.

    python bench/audit_append.py [--db sqlite|postgres] [--records 6000]

Each append carries catalogued categories and a purpose, so the catalog check is on the
measured path. Figures: one append per transaction with 1 and 4 writers (every append pays a
durable commit), and 100 appends per transaction (the append's own cost).

``commit_floor_per_s`` is what the bare database driver does on the same connection with no
Django and no audit: ``BEGIN``, one INSERT of the same row an append writes (into a table of the
audit table's columns, without its indexes), ``COMMIT``; one writer. ``audit_floor_ratio`` is
the single-writer append figure divided by it. Both are measured in the same run, in
alternating rounds, so that load from elsewhere on the machine weighs on both alike. Runs on a
scratch database that it creates and removes. Prints one JSON object per figure.
"""

import argparse
import json
import multiprocessing
import os
import time

from _common import ensure_project_python, scratch_database, setup_django

PG_BENCH_DB = f"piwarden_bench_audit_{os.getpid()}"  # runs side by side never collide


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


class _Floor:
    """The bare driver on Django's connection: BEGIN, INSERT of an append's row, COMMIT."""

    def __init__(self):
        from django.db import connection
        from django.utils import timezone

        from piwarden.audit import store

        connection.ensure_connection()
        self.raw, self.vendor = connection.connection, connection.vendor
        categories, purpose = _sample_keys()
        columns = [*store._COLUMNS, "seq", "prev_hash", "hash"]
        # The row an append writes (seq and hashes as long as real ones).
        self.row = [timezone.now(), "system", "bench-0", "bench.append", None, "", "",
                    json.dumps(categories), purpose, "", "", "success",
                    json.dumps({"writer": 0, "n": 0}), 1, "0" * 64, "f" * 64]
        if self.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            self.raw.execute("CREATE TABLE bench_commit_floor (LIKE audit_auditevent "
                             "INCLUDING DEFAULTS INCLUDING IDENTITY)")  # logged, like the trail
            for index in (7, 12):
                self.row[index] = Jsonb(self.row[index], dumps=lambda text: text)
            marks = "%s"
        else:
            self.raw.execute("CREATE TABLE bench_commit_floor AS "
                             "SELECT * FROM audit_auditevent WHERE 0")
            self.row[0] = self.row[0].isoformat()
            marks = "?"
        self.insert = (f"INSERT INTO bench_commit_floor ({', '.join(columns)}) "
                       f"VALUES ({', '.join([marks] * len(columns))})")

    def run(self, count: int) -> float:
        """Seconds for ``count`` transactions of one insert each."""
        raw, insert, row = self.raw, self.insert, self.row
        started = time.perf_counter()
        if self.vendor == "postgresql":
            for _ in range(count):
                with raw.transaction():
                    raw.execute(insert, row, prepare=True)
        else:
            for _ in range(count):
                raw.execute("BEGIN IMMEDIATE")
                raw.execute(insert, row)
                raw.commit()
        return time.perf_counter() - started

    def drop(self) -> None:
        self.raw.execute("DROP TABLE bench_commit_floor")
        if self.vendor == "sqlite":
            self.raw.commit()


def _single_writer_and_floor(records: int, rounds: int = 10) -> tuple[float, float]:
    """(appends per second, floor transactions per second), one writer, one per transaction,
    measured in alternating rounds (the order switching each round)."""
    floor = _Floor()
    _append(50, writer=0)  # warm: the catalog cache and the prepared statements
    floor.run(50)
    per_round = max(1, records // rounds)
    append_seconds = floor_seconds = 0.0
    for number in range(rounds):
        steps = ["append", "floor"] if number % 2 == 0 else ["floor", "append"]
        for step in steps:
            if step == "append":
                started = time.perf_counter()
                _append(per_round, writer=0)
                append_seconds += time.perf_counter() - started
            else:
                floor_seconds += floor.run(per_round)
    floor.drop()
    done = per_round * rounds
    return done / append_seconds, done / floor_seconds


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

        single, floor = _single_writer_and_floor(args.records)
        print(json.dumps({"metric": "appends_per_s", "value": round(single), "writers": 1,
                          "per_transaction": 1, **common}), flush=True)
        print(json.dumps({"metric": "commit_floor_per_s", "value": round(floor), "writers": 1,
                          "per_transaction": 1, **common}), flush=True)
        print(json.dumps({"metric": "audit_floor_ratio", "value": round(single / floor, 3),
                          "unit": "ratio", "db": args.db, "records": args.records,
                          "appends_per_s": round(single), "commit_floor_per_s": round(floor),
                          "target": 0.8}), flush=True)

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
