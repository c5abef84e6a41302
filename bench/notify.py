"""Notification campaign speed: a campaign to 100,000 people, and incident scoping.

    python bench/notify.py [--db sqlite|postgres] [--people 100000]
                           [--scope-records 5000000 | --no-scope]

``--people`` account holders are seeded in bulk (subjects, data keys, a verified e-mail and
phone in the vault through the vault's own sealing code, users and accounts; not through
sign-up). One campaign (template ``notify.general``, audience ``accounts.all``, channel
e-mail) is created, previewed, approved by a second staff member and started; then the job's
function (``notify.services.run``) runs in this process. ``notices_queued_per_s`` is the
per-person deliveries created and handed to the outbox (the e-mail rendered, the address read
from the vault in bulk, sealed and queued with its idempotency key, one audit record per chunk)
per second of that run. Target: >= 5,000/s. ``cpu_ms_per_notice`` is this process's CPU time
per person (a figure that a busy machine disturbs less), ``db_cpu_s`` the PostgreSQL
backend's CPU time over the run when it can be read from ``/proc``.

Then ``measure(db)`` of ``bench/notify_scope.py`` (helper "audit": ``scope_s`` over an audit
trail of 5,000,000 records) runs in a process of its own, so that it gets its own scratch
database, and its figures are printed too.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from _common import ensure_project_python, scratch_database

PG_BENCH_DB = "piwarden_bench_notify"
BATCH = 5000
UNUSABLE = "!"  # Django's mark of an unusable password: these people never log in
_DB_NAMES = {"postgresql": "postgres", "sqlite": "sqlite"}  # as --db names them


def _seed(people: int) -> None:
    """Account holders with a verified e-mail and phone, written in batches."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from piwarden.accounts.models import Account
    from piwarden.subjects.models import Subject
    from piwarden.vault import envelope, fields
    from piwarden.vault.models import DataKey, VaultValue

    user_model = get_user_model()
    email, phone = fields.get("email"), fields.get("phone")
    now = timezone.now()
    for start in range(0, people, BATCH):
        subjects, keys, values, users = [], [], [], []
        for i in range(start, min(start + BATCH, people)):
            subject = Subject(kind="account_holder")
            data_key, aead = envelope.create_data_key(subject.pk)
            for vault_field, value in ((email, f"u{i}@example.cn"),
                                       (phone, f"+86138{i:08d}")):
                values.append(VaultValue(subject=subject, field=vault_field.name,
                                         **envelope.sealed_columns(
                                             data_key=data_key, aead=aead,
                                             vault_field=vault_field, normalized=value)))
            subjects.append(subject)
            keys.append(data_key)
            users.append(user_model(username=uuid.uuid4().hex, password=UNUSABLE))
        with transaction.atomic():
            Subject.objects.bulk_create(subjects)
            DataKey.objects.bulk_create(keys)
            VaultValue.objects.bulk_create(values)
            user_model.objects.bulk_create(users)
            Account.objects.bulk_create([
                Account(user=user, subject=subject, email_verified_at=now,
                        phone_verified_at=now) for user, subject in zip(users, subjects,
                                                                        strict=True)])
        print(f"seeded {min(start + BATCH, people)}", file=sys.stderr)
    # Planner statistics, as autovacuum keeps them for tables of this size in service: a
    # freshly bulk-loaded table looks empty to the planner, which then scans it whole.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _campaign(people: int) -> dict:
    from django.db import connection

    from piwarden.audit.actors import Actor, ActorKind
    from piwarden.notify import services
    from piwarden.notify.models import Delivery
    from piwarden.outbox.models import Message

    creator, approver = Actor(ActorKind.STAFF, "bench-1"), Actor(ActorKind.STAFF, "bench-2")
    campaign = services.create_campaign(
        actor=creator, kind="other", template="notify.general",
        fields={"en": {"title": "Service notice", "text": "Our service changes next month."},
                "zh-hans": {"title": "服务通知", "text": "我们的服务将于下月调整。"}},
        audience="accounts.all", audience_params={}, channels=["email"], title="bench")
    preview = services.preview(actor=creator, campaign=campaign)
    services.approve(actor=approver, campaign=campaign)
    services.start(actor=creator, campaign=campaign)
    db_cpu = _db_cpu_s()
    cpu, wall = time.process_time(), time.perf_counter()
    result = services.run(campaign_id=campaign.pk)
    seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
    db_cpu = None if db_cpu is None else _db_cpu_s() - db_cpu
    deliveries = Delivery.objects.filter(campaign=campaign).count()
    messages = Message.objects.filter(concerns_id=str(campaign.pk)).count()
    assert result.done and preview.count == people == deliveries == messages, (
        result, preview.count, deliveries, messages)
    return {"metric": "notices_queued_per_s", "value": round(deliveries / seconds),
            "unit": "deliveries/s", "db": _DB_NAMES.get(connection.vendor), "people": people,
            "seconds": round(seconds, 2), "cpu_s": round(cpu, 2),
            "cpu_ms_per_notice": round(cpu * 1000 / people, 4),
            "db_cpu_s": None if db_cpu is None else round(db_cpu, 2), "target": ">= 5000"}


def _db_cpu_s() -> float | None:
    """CPU seconds of the PostgreSQL backend serving this connection, when the server runs
    on this machine (``/proc``); None otherwise (SQLite's work is in ``cpu_s`` already)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _scope(db: str, records: int) -> list[dict]:
    """``measure(db)`` from bench/notify_scope.py, in a process with its own database."""
    here = Path(__file__).resolve().parent
    if not (here / "notify_scope.py").exists():
        return [{"metric": "scope_s", "value": None, "db": db,
                 "note": "bench/notify_scope.py is not there yet"}]
    code = (f"import json, sys; sys.path.insert(0, {str(here)!r}); import notify_scope; "
            f"[print(json.dumps(row)) for row in notify_scope.measure({db!r}, "
            f"records={records})]")
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                          check=False)  # its progress goes to our stderr
    if done.returncode:
        return [{"metric": "scope_s", "value": None, "db": db,
                 "error": f"bench/notify_scope.py exited with {done.returncode}"}]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--scope-records", type=int, default=5_000_000,
                        help="audit records seeded by bench/notify_scope.py")
    parser.add_argument("--no-scope", action="store_true", help="skip bench/notify_scope.py")
    args = parser.parse_args()
    ensure_project_python()
    # The job's own work only: delivery jobs are queued nowhere, mail would stay in memory.
    os.environ["PIWARDEN_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["PIWARDEN_EMAIL_DELIVERY_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    with scratch_database(args.db, PG_BENCH_DB):
        _seed(args.people)
        print(json.dumps(_campaign(args.people)), flush=True)
    if not args.no_scope:
        for row in _scope(args.db, args.scope_records):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
