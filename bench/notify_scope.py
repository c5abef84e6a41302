"""Impact scoping over a large audit trail: ``scope_s`` (target < 2 s on PostgreSQL).

    python bench/notify_scope.py [--db sqlite|postgres] [--records 5000000]

Seeds a trail of ``--records`` records over 30 days with a chain computed in Python with
``audit.chain`` (not through ``audit.record``) and loaded by COPY (one executemany per chunk
on SQLite): a few thousand API clients and staff members, system jobs and people acting; about
one record in twenty names 1-10 people in child rows (``AuditSubject``, their digest in the
record's detail), the others one person or none. One target API key reads about 0.1 % of the
records, in a 4-hour window (1-5 people each). Then times ``audit.scoping.scope`` for that key
and window (median of 5) and checks it found the people the seed gave the key. Runs on a
scratch database it creates and removes; progress goes to stderr, figures to stdout as JSON.
``bench/notify.py`` calls ``measure(db)``.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from _common import ensure_project_python, scratch_database

PG_BENCH_DB = f"piwarden_bench_scope_{os.getpid()}"
CHUNK = 50_000
PEOPLE = 200_000  # at most; one person per 25 records below that
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=30)
WINDOW = (START + timedelta(days=20, hours=10), START + timedelta(days=20, hours=14))
TARGET = "4242"
ACTIONS = [("vault.value_revealed", ["user.contact.phone"]), ("consent.granted", []),
           ("collection.events_ingested", ["user.device.attributes"]),
           ("leads.submitted", ["user.name", "user.contact.phone"]),
           ("partners.record_received", ["user.name"]), ("accounts.logged_in", []),
           ("payments.order_created", ["user.financial.transaction"])]
BATCH_ACTIONS = [("partners.batch_imported", ["user.name"]),
                 ("sharing.provided", ["user.contact.email"]),
                 ("collection.events_ingested", ["user.device.attributes"])]
TARGET_ACTIONS = [("partners.record_read", ["user.name", "user.contact.phone"]),
                  ("consent.history_read", ["user.consent"])]


_STARTED = time.perf_counter()


def _log(text: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:7.1f} s] {text}", file=sys.stderr, flush=True)


def _subjects(rng: random.Random, count: int) -> list[uuid.UUID]:
    from django.db import connection
    from django.utils import timezone

    from piwarden import bulk
    from piwarden.subjects.models import Subject

    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]
    now = connection.ops.adapt_datetimefield_value(timezone.now()) \
        if connection.vendor == "sqlite" else timezone.now()
    value = (lambda u: u) if connection.vendor == "postgresql" else (lambda u: u.hex)
    from django.db import transaction

    for first in range(0, count, CHUNK):
        with transaction.atomic():
            bulk.append(Subject, ("id", "kind", "status", "created_at", "status_changed_at"),
                        [(value(u), "account_holder", "active", now, now)
                         for u in ids[first:first + CHUNK]])
    return ids


def _records(rng: random.Random, records: int, people: list[uuid.UUID]):
    """Yield ``(content values, touched ids, is_target)`` in chain order."""
    from piwarden.audit import touch

    step = SPAN / records
    in_window = records * (WINDOW[1] - WINDOW[0]) / SPAN
    target_share = min(0.9, records * 0.001 / max(in_window, 1))
    for number in range(records):
        when = START + step * number
        touched, subject, obj, detail = [], None, ("", ""), {}
        target = (WINDOW[0] <= when <= WINDOW[1] and rng.random() < target_share) \
            or rng.random() < 0.00005
        if target:
            action, categories = rng.choice(TARGET_ACTIONS)
            kind, actor = "api_client", TARGET
            touched = touch.ids(rng.sample(people, rng.randint(1, 5)))
        else:
            roll = rng.random()
            kind, actor = (("api_client", str(rng.randint(1, 3000))) if roll < 0.4 else
                           ("staff", str(rng.randint(1, 500))) if roll < 0.6 else
                           ("system", f"job.{rng.randint(1, 50)}") if roll < 0.7 else
                           ("person", None))
            if rng.random() < 0.05:
                action, categories = rng.choice(BATCH_ACTIONS)
                touched = touch.ids(rng.sample(people, rng.randint(1, 10)))
                obj = ("partners.importbatch", str(number))
            else:
                action, categories = rng.choice(ACTIONS)
                subject = rng.choice(people) if rng.random() < 0.8 else None
            if actor is None:
                actor = str(subject or rng.choice(people))
        if touched:
            detail = {"count": len(touched), touch.KEY: touch.summary(touched)}
        yield ([when, kind, actor, action, subject, obj[0], obj[1], sorted(categories), "",
                "", "", "success", detail], touched, target)


def _load(connection, events: list[tuple], children: list[tuple]) -> None:
    from piwarden import bulk
    from piwarden.audit.models import AuditEvent, AuditSubject

    columns = ("id", "seq", "occurred_at", "actor_kind", "actor_id", "action", "subject",
               "object_type", "object_id", "categories", "purpose", "legal_basis",
               "request_id", "outcome", "detail", "prev_hash", "hash")
    bulk.append(AuditEvent, columns, events)
    bulk.append(AuditSubject, ("event", "subject"), children)


def _seed(records: int) -> tuple[set[str], int]:
    """The trail; returns the people the target key touched in the window, and the number
    of child rows."""
    from django.db import connection, transaction
    from django.db.models import Max

    from piwarden.audit.chain import content_digest_of, link_hash
    from piwarden.audit.models import AuditEvent, ChainHead

    rng = random.Random(14)  # noqa: S311  (a reproducible seed, not a secret)
    people = _subjects(rng, max(1000, min(PEOPLE, records // 25)))
    _log(f"seeded {len(people)} subjects")
    postgres = connection.vendor == "postgresql"
    as_db = (lambda u: u) if postgres else (lambda u: u.hex if u is not None else None)
    stamp = (lambda d: d) if postgres else connection.ops.adapt_datetimefield_value
    head = ChainHead.objects.get(pk=1)  # the catalog load wrote the first records
    first, prev = head.seq + 1, head.hash
    ids = (AuditEvent.objects.aggregate(top=Max("id"))["top"] or 0) - head.seq
    expected, children_total, before = set(), 0, prev
    events, children = [], []
    started = time.perf_counter()
    rebuild = _drop_indexes(connection) if postgres else []
    for seq, (values, touched, target) in enumerate(_records(rng, records, people),
                                                    start=first):
        digest = content_digest_of(values)
        hash_ = link_hash(prev, seq, digest)
        row = list(values)
        row[0], row[4] = stamp(values[0]), as_db(values[4])
        row[7], row[12] = json.dumps(values[7]), json.dumps(values[12])
        events.append((seq + ids, seq, *row, prev, hash_))
        children.extend((seq + ids, as_db(subject_id)) for subject_id in touched)
        if target and WINDOW[0] <= values[0] <= WINDOW[1]:
            expected.update(map(str, touched))
        before, prev = prev, hash_
        if len(events) == CHUNK:
            with transaction.atomic():
                _load(connection, events, children)
            children_total += len(children)
            events, children = [], []
            done = seq - first + 1
            _log(f"seeded {done} records ({done / (time.perf_counter() - started):.0f}/s)")
    with transaction.atomic():
        _load(connection, events, children)
        children_total += len(children)
        ChainHead.objects.filter(pk=1).update(seq=first + records - 1, hash=prev,
                                              prev_hash=before)
    with connection.cursor() as cursor:
        for statement in rebuild:
            _log(statement.split(" (")[0])
            cursor.execute(statement)
        if postgres:
            cursor.execute("SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), "
                           "%s)", [first + records - 1 + ids])
            cursor.execute("ANALYZE audit_auditevent")
            cursor.execute("ANALYZE audit_auditsubject")
        else:
            cursor.execute("ANALYZE")
    return expected, children_total


def _drop_indexes(connection) -> list[str]:
    """A bulk load's usual step: drop the audit tables' secondary indexes and constraints
    (all but the primary keys) and return the statements that build them again, so each is
    built once over the loaded rows instead of row by row."""
    rebuild = []
    with connection.cursor() as cursor:
        for table in ("audit_auditsubject", "audit_auditevent"):
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                rebuild.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE "
                           "i.tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                           "WHERE c.conname = i.indexname)", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                rebuild.append(definition)
    # Indexes first, then the constraints (the unique ones build their own index).
    return sorted(rebuild, key=lambda statement: statement.startswith("ALTER"))


def measure(db: str, records: int = 5_000_000, verify: bool = False) -> list[dict]:
    with scratch_database(db, PG_BENCH_DB):
        started = time.perf_counter()
        expected, children = _seed(records)
        seeded = time.perf_counter() - started
        _log(f"seeded {records} records, {children} child rows in {seeded:.0f} s")
        from piwarden.audit import scoping

        timings, found = [], None
        for _ in range(5):
            started = time.perf_counter()
            found = scoping.scope(actor_kind="api_client", actor_id=TARGET, start=WINDOW[0],
                                  end=WINDOW[1])
            timings.append(time.perf_counter() - started)
        if set(found.people) != expected:
            raise SystemExit("scope() did not find exactly the people the target key read")
        if verify:  # the seeded chain and its child rows are what record() would have made
            from piwarden.audit.services import verify as verify_chain

            result = verify_chain()
            _log(str(result))
            if not result.ok:
                raise SystemExit(f"the seeded chain does not verify: {result}")
        from django.db import connections

        connections.close_all()
    return [{"metric": "scope_s", "value": round(statistics.median(timings), 3), "unit": "s",
             "db": db, "records": records, "child_rows": children,
             "target_records": found.records, "people": len(found.people),
             "seed_s": round(seeded), "target": "< 2 (postgres)"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--records", type=int, default=5_000_000)
    parser.add_argument("--verify", action="store_true", help="verify the seeded chain too")
    args = parser.parse_args()
    for row in measure(args.db, args.records, args.verify):
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    ensure_project_python()
    main()
