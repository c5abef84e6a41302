"""Cross-border transfer speed, and the split at a threshold.

    python bench/transfers.py [--db sqlite|postgres] [--people 200000] [--runs 3]

The catalog names an overseas recipient (``third_party.overseas``, in Hong Kong, a handler
of its own) and the flow ``crossborder.overseas_transfer`` (it rests on consent) goes through
its real activation: a transfer record, agreements, PIPIA approval. ``--people`` subjects get
a name and an e-mail in the vault; nine in ten get the separate consent naming the recipient.

``transfer_people_per_s``: with a filed standard contract in place, people considered per
second by one cross-border provision of all of them through the gateway (separate consent
per person, the year's counters locked and each new person counted, the package sealed, the
register and the audit record); the counters are emptied before each run, so every run counts
every person anew. The median of ``--runs``, with this process's CPU per person.

``split_*``: the same batch without a mechanism (below the thresholds) from empty counters:
exactly 99,999 people go, the 100,000th consenting person is the first held back, and the
rest wait in a hold with an alert. Target: transfer_people_per_s >= 10,000 on PostgreSQL.
"""

import argparse
import datetime
import json
import os
import statistics
import time
import uuid

from _common import ensure_project_python, scratch_database

PG_BENCH_DB = "piwarden_bench_transfers"
RECIPIENT, ACTIVITY, PURPOSE = ("third_party.overseas", "crossborder.overseas_transfer",
                                "crossborder.transfer")
NAMED = {"legal_name": "Example Overseas Ltd.", "status": "active", "country": "HK",
         "contact": "privacy@overseas.example.hk", "hosts": ["overseas.example.hk"],
         "categories": ["user.name", "user.contact"], "purposes": [PURPOSE]}


def _active_flow():
    from django.utils import timezone

    from piwarden.audit.actors import Actor
    from piwarden.catalog.services import load_catalog
    from piwarden.sharing import services
    from piwarden.sharing.models import Counterparty, Flow
    from piwarden.transfers import services as transfers
    from sharing import _named_catalog

    actor = Actor.system("bench")
    load_catalog(actor=actor, path=_named_catalog(RECIPIENT, NAMED))
    today = timezone.localdate()
    flow = Flow.objects.get(activity=ACTIVITY, recipient=RECIPIENT)
    record = transfers.create_record(
        actor=actor, flow=flow, mechanism="standard_contract", important_data="none",
        reference="SCC-bench", effective_on=today - datetime.timedelta(days=3),
        notice_zh="向境外接收方行使权利：privacy@overseas.example.hk",
        notice_en="Exercise your rights: privacy@overseas.example.hk")
    transfers.record_filing(actor=actor, record=record, reference="SCC-bench", filed_on=today)
    counterparty = Counterparty.objects.get(recipient=RECIPIENT)
    services.add_contract(actor=actor, counterparty=counterparty, kind="confidentiality",
                          reference="NDA-bench", signed_on=today, starts_on=today)
    services.activate_counterparty(actor=actor, counterparty=counterparty)
    for assessment in flow.assessments.all():
        services.decide_assessment(actor=actor, assessment=assessment, approve=True,
                                   risk="medium", findings="bench")
    return services.activate_flow(actor=actor, flow=flow), record


def _empty_counters() -> None:
    from piwarden.transfers.models import CountedPerson, Hold, YearCounter

    CountedPerson.objects.all().delete()
    YearCounter.objects.all().delete()
    Hold.objects.all().delete()


def _provide(flow, ids) -> tuple[float, float, object]:
    from piwarden.audit.actors import Actor
    from piwarden.sharing import services

    _empty_counters()
    cpu, wall = time.process_time(), time.perf_counter()
    provision, _ = services.provide(actor=Actor.system("bench"), flow=flow, subject_ids=ids)
    return time.perf_counter() - wall, time.process_time() - cpu, provision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_project_python()
    os.environ["PIWARDEN_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["PIWARDEN_EMAIL_DELIVERY_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    with scratch_database(args.db, PG_BENCH_DB):
        from piwarden.audit.actors import Actor
        from piwarden.transfers import services as transfers
        from piwarden.transfers.models import Hold
        from sharing import _seed

        flow, record = _active_flow()
        started = time.perf_counter()
        ids = _seed(args.people, purpose=PURPOSE, scope="separate.cross_border",
                    recipient=RECIPIENT, granted=lambda i: i % 10 != 0)
        seed_s = time.perf_counter() - started
        _provide(flow, ids[:1000])  # warm-up: imports, plans, caches
        runs = [_provide(flow, ids) for _ in range(args.runs)]
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        provision = runs[-1][2]
        common = {"db": args.db, "people": args.people, "provided": provision.provided,
                  "dropped": provision.dropped, "runs": args.runs, "seed_s": round(seed_s, 1),
                  "mechanism": "standard_contract"}
        print(json.dumps({"metric": "transfer_people_per_s", "value": round(args.people / wall),
                          "unit": "1/s", "wall_s": round(wall, 2), **common}), flush=True)
        print(json.dumps({"metric": "cpu_per_person_us",
                          "value": round(cpu / args.people * 1e6, 1), "unit": "us",
                          **common}), flush=True)

        transfers.update_record(actor=Actor.system("bench"), record=record,
                                mechanism="below_threshold", reference="")
        _, _, split = _provide(flow, ids)
        hold = Hold.objects.first()  # none when fewer than 100,000 people consent
        held = hold.subject_ids if hold else []
        consenting = [subject for i, subject in enumerate(ids) if i % 10 != 0]
        first_held = consenting.index(uuid.UUID(held[0])) + 1 if held else None
        common = {"db": args.db, "people": args.people, "mechanism": "below_threshold",
                  "dropped": split.dropped}
        print(json.dumps({"metric": "split_provided", "value": split.provided, "unit": "people",
                          **common}), flush=True)
        print(json.dumps({"metric": "split_first_held_person", "value": first_held,
                          "unit": "nth consenting person", **common}), flush=True)
        print(json.dumps({"metric": "split_held", "value": len(held),
                          "unit": "people", **common}), flush=True)


if __name__ == "__main__":
    main()
