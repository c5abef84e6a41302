"""Anomaly scan over a large audit trail: ``anomaly_scan_s`` (target < 2 s).

    python bench/anomaly_scan.py [--db sqlite|postgres] [--records 1000000]

Seeds ``--records`` audit records over a week (Monday 2 March 2026 on), loaded directly by
COPY (one executemany per chunk on SQLite) with placeholder hashes: the scan reads no hash.
API clients, staff, system jobs and people act; about half the staff and API client
records are PI reads, one in twenty names 1-10 people in child rows (``AuditSubject``, their
count in the record's detail as ``audit.record`` writes it), the others one person or none.
Staff act in working hours only, except for what the scan must find: two bulk reads by
one API key (600 people in 40 seconds each), three off-hours staff reads and one staff
login from a new network. Then times one ``audit.anomalies.scan()`` over the whole trail
(the first run: cursor at 0) and checks it raised exactly those alerts. Runs on a scratch
database it creates and removes; progress to stderr, the figure to stdout as JSON.
``bench/staff_access.py`` calls ``measure_anomaly_scan(db)``.
"""

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import ensure_project_python, scratch_database

# The trail loaders of the impact-scoping bench (same tables, same bulk path).
from notify_scope import _drop_indexes, _load, _subjects

PG_BENCH_DB = f"piwarden_bench_anomaly_{os.getpid()}"
CHUNK = 50_000
START = datetime(2026, 3, 2, tzinfo=UTC)  # Monday 08:00 China time
SPAN = timedelta(days=7)
TARGET = "4242"
BURSTS = (START + timedelta(days=1, hours=3), START + timedelta(days=3, hours=20))
OFF_HOURS = (START + timedelta(days=1, hours=14), START + timedelta(days=2, hours=15),
             START + timedelta(days=5, hours=3))  # 22:00, 23:00, Saturday 11:00
NEW_NETWORK = START + timedelta(days=4, hours=2)
READS = ("partners.record_read", "consent.history_read", "vault.value_revealed")
WRITES = ("consent.granted", "leads.submitted", "partners.record_received",
          "collection.events_ingested", "payments.order_created")
EXPECTED = {"bulk_read": len(BURSTS), "off_hours": len(OFF_HOURS), "new_network": 1}

_STARTED = time.perf_counter()


def _log(text: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:7.1f} s] {text}", file=sys.stderr, flush=True)


def _in_hours(when: datetime) -> bool:
    local = when + timedelta(hours=8)
    return local.weekday() < 5 and 8 <= local.hour < 20


def _planted(people: list[uuid.UUID]) -> list[tuple[datetime, str, str, str, list, dict]]:
    """``(when, kind, actor, action, touched, detail)`` of what the scan must find."""
    rows = []
    for start in BURSTS:
        crowd = random.Random(start.day).sample(people, 600)  # noqa: S311
        rows += [(start + timedelta(seconds=3 * n), "api_client", TARGET,
                  "partners.record_read", crowd[n * 50:(n + 1) * 50], {}) for n in range(12)]
    rows += [(when, "staff", "3", "vault.value_revealed", people[:1], {}) for when in OFF_HOURS]
    rows += [(START + timedelta(hours=1), "staff", "5", "staff.login", [], {"ip": "10.0.1.0/24"}),
             (NEW_NETWORK, "staff", "5", "staff.login", [], {"ip": "203.0.113.0/24"})]
    return sorted(rows, key=lambda row: row[0])


def _records(rng: random.Random, records: int, people: list[uuid.UUID]):
    """Yield ``(content values, touched ids)`` in time order."""
    from piwarden.audit import touch

    planted = _planted(people)
    step = SPAN / (records - len(planted))
    for number in range(records - len(planted)):
        when = START + step * number
        while planted and planted[0][0] <= when:
            at, kind, actor, action, touched, detail = planted.pop(0)
            touched = touch.ids(touched)
            if len(touched) > 1:
                detail = {touch.KEY: touch.summary(touched)}
            subject = touched.pop() if len(touched) == 1 else None
            yield [at, kind, actor, action, subject, "", "", [], "", "", "", "success",
                   detail], touched
        roll, touched, subject, detail = rng.random(), [], None, {}
        kind, actor = (("api_client", str(rng.randint(1, 300))) if roll < 0.4 else
                       ("staff", str(rng.randint(1, 100))) if roll < 0.6 else
                       ("system", f"job.{rng.randint(1, 50)}") if roll < 0.7 else
                       ("person", None))
        if kind == "staff" and not _in_hours(when):
            kind, actor = "api_client", str(rng.randint(1, 300))
        action = rng.choice(READS if kind != "person" and rng.random() < 0.5 else WRITES)
        if rng.random() < 0.05:
            touched = touch.ids(rng.sample(people, rng.randint(2, 10)))
            detail = {touch.KEY: touch.summary(touched)}
        elif rng.random() < 0.8:
            subject = rng.choice(people)
        yield [when, kind, actor or str(subject or people[0]), action, subject, "", "", [], "",
               "", "", "success", detail], touched


def _seed(records: int) -> int:
    """The trail; returns the number of child rows."""
    from django.db import connection, transaction
    from django.db.models import Max

    from piwarden.audit.models import AuditEvent, ChainHead

    rng = random.Random(51)  # noqa: S311  (a reproducible seed, not a secret)
    people = _subjects(rng, 100_000)
    _log(f"seeded {len(people)} subjects")
    postgres = connection.vendor == "postgresql"
    as_db = (lambda u: u) if postgres else (lambda u: u.hex if u is not None else None)
    stamp = (lambda d: d) if postgres else connection.ops.adapt_datetimefield_value
    first = ChainHead.objects.get(pk=1).seq + 1  # the catalog load wrote the first records
    ids = (AuditEvent.objects.aggregate(top=Max("id"))["top"] or 0) - first + 1
    rebuild = _drop_indexes(connection) if postgres else []
    events, children, total = [], [], 0
    for seq, (values, touched) in enumerate(_records(rng, records, people), start=first):
        row = list(values)
        row[0], row[4] = stamp(values[0]), as_db(values[4])
        row[7], row[12] = json.dumps(values[7]), json.dumps(values[12])
        events.append((seq + ids, seq, *row, f"{seq - 1:064x}", f"{seq:064x}"))
        children.extend((seq + ids, as_db(subject_id)) for subject_id in touched)
        if len(events) == CHUNK:
            with transaction.atomic():
                _load(connection, events, children)
            total += len(children)
            events, children = [], []
            _log(f"seeded {seq - first + 1} records")
    with transaction.atomic():
        _load(connection, events, children)
        total += len(children)
        last = first + records - 1  # the alerts the scan raises append after the seed
        ChainHead.objects.filter(pk=1).update(seq=last, hash=f"{last:064x}",
                                              prev_hash=f"{last - 1:064x}")
    with connection.cursor() as cursor:
        for statement in rebuild:
            cursor.execute(statement)
        if postgres:
            cursor.execute("SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), "
                           "%s)", [first + records - 1 + ids])
        cursor.execute("ANALYZE")
    return total


def _database_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL server process (a figure that a busy
    machine does not inflate, unlike the wall clock); 0 on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server on another host
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_anomaly_scan(db_label: str, records: int = 1_000_000) -> float:
    """Seconds one anomaly scan takes over ``records`` new audit records."""
    with scratch_database(db_label, PG_BENCH_DB):
        started = time.perf_counter()
        children = _seed(records)
        _log(f"seeded {records} records, {children} child rows in "
             f"{time.perf_counter() - started:.0f} s")
        from piwarden.audit import anomalies

        started, cpu, own = time.perf_counter(), _database_cpu(), time.process_time()
        found = anomalies.scan()
        elapsed = time.perf_counter() - started
        _log(f"scan: {found}; CPU: {time.process_time() - own:.2f} s here, "
             f"{_database_cpu() - cpu:.2f} s in the PostgreSQL server")
        if {key: found[key] for key in EXPECTED} != EXPECTED:
            raise SystemExit(f"the scan found {found}, expected {EXPECTED}")
        from django.db import connections

        connections.close_all()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    value = measure_anomaly_scan(args.db, args.records)
    print(json.dumps({"metric": "anomaly_scan_s", "value": round(value, 3), "unit": "s",
                      "db": args.db, "records": args.records, "target": "< 2"}), flush=True)


if __name__ == "__main__":
    ensure_project_python()
    main()
