"""Sharing gateway speed: one provision considering 100,000 people, and an egress refusal.

    python bench/sharing.py [--db sqlite|postgres] [--people 100000] [--runs 3]

The catalog is loaded with its affiliates named (``affiliate.intron_group``, a handler of its
own: each person needs a separate consent naming it, PIPL Art. 23) and the flow
``sharing.affiliates`` is taken through its real activation (agreements, PIPIA approval).
``--people`` subjects get a name and an e-mail address in the vault (bulk, through the vault's
own sealing code); half of them get the recipient consent. ``provided_per_s`` is people
considered per second by ``services.provide``: consent checked per person, the package built
(values decrypted, sealed to disk), one ledger row per provided person and one audit record,
in one transaction; the median of ``--runs`` provisions, with the CPU seconds of this process
alongside (``cpu_per_person_us``). ``egress_refusal_ms`` is the median time the egress client
takes to refuse a POST to an unregistered host (the check, the alert and the audit record; no
connection is opened). Target: provided_per_s >= 10,000 on PostgreSQL.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from _common import REPO, ensure_project_python, scratch_database

PG_BENCH_DB = "piwarden_bench_sharing"
RECIPIENT, ACTIVITY = "affiliate.intron_group", "sharing.affiliates"
NAMED = {"legal_name": "Intron Digital (Shenzhen) Co., Ltd.", "status": "active",
         "country": "CN", "contact": "privacy@affiliate.example.cn",
         "uscc": "91440300MA5F0000X1", "hosts": ["affiliate.example.cn"],
         "categories": ["user.name", "user.contact", "user.account.id"],
         "purposes": ["sharing.affiliates"]}
REFUSALS = 200


def _named_catalog(key: str = RECIPIENT, named: dict = NAMED) -> Path:
    """The shipped catalog with one recipient named, as an operator would."""
    import yaml

    data = yaml.safe_load((REPO / "catalog" / "piwarden.yaml").read_text(encoding="utf-8"))
    for recipient in data["recipients"]:
        if recipient["key"] == key:
            recipient.update(named)
    path = Path(tempfile.mkdtemp(prefix="piwarden-bench-catalog-")) / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _active_flow():
    from django.utils import timezone

    from piwarden.audit.actors import Actor
    from piwarden.catalog.services import load_catalog
    from piwarden.sharing import services
    from piwarden.sharing.models import Counterparty, Flow

    actor = Actor.system("bench")
    load_catalog(actor=actor, path=_named_catalog())
    counterparty = Counterparty.objects.get(recipient=RECIPIENT)
    today = timezone.localdate()
    services.add_contract(actor=actor, counterparty=counterparty, kind="confidentiality",
                          reference="NDA-bench", signed_on=today, starts_on=today)
    services.activate_counterparty(actor=actor, counterparty=counterparty)
    flow = Flow.objects.get(activity=ACTIVITY, recipient=RECIPIENT)
    for assessment in flow.assessments.all():
        services.decide_assessment(actor=actor, assessment=assessment, approve=True,
                                   risk="low", findings="bench")
    return services.activate_flow(actor=actor, flow=flow)


def _seed(people: int, *, purpose: str = ACTIVITY, scope: str = "separate.third_party",
          recipient: str = RECIPIENT, granted=lambda i: i % 2 == 0) -> list[uuid.UUID]:
    """Subjects with a name and an e-mail in the vault; those ``granted`` picks (every other
    one by default) with the consent naming the recipient."""
    from django.db import transaction
    from django.utils import timezone

    from piwarden.consent.models import Choice, ConsentEvent, ConsentState, Notice
    from piwarden.subjects.models import Subject
    from piwarden.vault import envelope, fields
    from piwarden.vault.models import DataKey, VaultValue

    name, email = fields.get("name"), fields.get("email")
    notice, _ = Notice.objects.get_or_create(sha256="0" * 64, defaults={"text": "bench"})
    ids, now = [], timezone.now()
    for start in range(0, people, 5000):
        subjects, keys, values, events = [], [], [], []
        for i in range(start, min(start + 5000, people)):
            subject = Subject(kind="account_holder")
            data_key, aead = envelope.create_data_key(subject.pk)
            for vault_field, value in ((name, f"用户{i}"), (email, f"u{i}@example.cn")):
                values.append(VaultValue(subject=subject, field=vault_field.name,
                                         **envelope.sealed_columns(
                                             data_key=data_key, aead=aead,
                                             vault_field=vault_field, normalized=value)))
            subjects.append(subject)
            keys.append(data_key)
            if granted(i):
                events.append(ConsentEvent(
                    subject=subject, purpose=purpose, scope=scope,
                    recipient=recipient, choice=Choice.GRANT, policy_version="2026.1",
                    notice=notice, channel="web", actor_kind="person",
                    actor_id=str(subject.pk), occurred_at=now))
        with transaction.atomic():
            Subject.objects.bulk_create(subjects)
            DataKey.objects.bulk_create(keys)
            VaultValue.objects.bulk_create(values)
            ConsentEvent.objects.bulk_create(events)
            ConsentState.objects.bulk_create([ConsentState(
                subject_id=e.subject_id, purpose=e.purpose, scope=e.scope,
                recipient=e.recipient, choice=e.choice, policy_version=e.policy_version,
                changed_at=now, event=e) for e in events])
        ids += [subject.pk for subject in subjects]
    return ids


def _provide(flow, ids) -> tuple[float, float, object]:
    from piwarden.audit.actors import Actor
    from piwarden.sharing import services

    cpu, wall = time.process_time(), time.perf_counter()
    provision, _ = services.provide(actor=Actor.system("bench"), flow=flow, subject_ids=ids)
    return time.perf_counter() - wall, time.process_time() - cpu, provision


def _refusal_ms() -> float:
    from piwarden.sharing import egress

    runs = []
    for _ in range(REFUSALS):
        started = time.perf_counter()
        try:
            egress.post("https://api.unknown-vendor.example/records", json={"n": 1},
                        actor=__import__("piwarden.audit.actors", fromlist=["Actor"])
                        .Actor.system("bench"))
        except egress.EgressRefused:
            runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_project_python()
    os.environ["PIWARDEN_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["PIWARDEN_EMAIL_DELIVERY_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    with scratch_database(args.db, PG_BENCH_DB):
        flow = _active_flow()
        started = time.perf_counter()
        ids = _seed(args.people)
        seed_s = time.perf_counter() - started
        _provide(flow, ids[:1000])  # warm-up: imports, plans, caches
        runs = [_provide(flow, ids) for _ in range(args.runs)]
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        provision = runs[-1][2]
        common = {"db": args.db, "people": args.people, "provided": provision.provided,
                  "dropped": provision.dropped, "runs": args.runs, "seed_s": round(seed_s, 1)}
        print(json.dumps({"metric": "provided_per_s", "value": round(args.people / wall),
                          "unit": "1/s", "wall_s": round(wall, 2), **common}), flush=True)
        print(json.dumps({"metric": "cpu_per_person_us",
                          "value": round(cpu / args.people * 1e6, 1), "unit": "us",
                          **common}), flush=True)
        print(json.dumps({"metric": "egress_refusal_ms", "value": round(_refusal_ms(), 3),
                          "unit": "ms", "db": args.db, "refusals": REFUSALS}), flush=True)


if __name__ == "__main__":
    main()
