"""Console list speed with the staff read gate: masks, purpose and consent checks, audit.

    python bench/staff_list.py [--db sqlite|postgres] [--runs 30]

Times GET /admin/leads/lead/ for a superuser who stated the purpose ``lead.callback``: 100
people on the page, each with a consented lead and three masked vault values; every request
checks the purpose, decides consent for the 100 people in one batch, reads the masks in one
query and appends one audit record naming all 100. Prints one JSON object (p95 in ms).
``measure_admin_list(db_label)`` is what ``bench/staff_access.py`` calls: it opens its own
scratch database unless Django is already set up (then it seeds the current one).
"""

import argparse
import json
import statistics
import time

from _common import ensure_project_python, scratch_database

PG_BENCH_DB = "piwarden_bench_staff_list"
PEOPLE = 100
CPU_MS: list[float] = []  # this process's CPU per page (the whole request, SQLite included)


def _seed() -> None:
    from django.db import transaction
    from django.utils import timezone

    from piwarden.audit.actors import Actor
    from piwarden.consent import services as consent
    from piwarden.leads.models import Lead
    from piwarden.subjects.services import create_subject
    from piwarden.vault import services as vault

    system = Actor.system("bench")
    for n in range(PEOPLE):
        with transaction.atomic():
            person = create_subject(actor=system, kind="account_holder")
            consent.grant(actor=Actor.person(person), subject=person, purpose="lead.callback",
                          notice_text="We call you back about your request.", channel="web")
            for field, value in (("phone", f"+86138{n:08d}"), ("name", f"Person {n}"),
                                 ("email", f"person{n}@example.com")):
                vault.put(actor=system, subject=person, field=field, value=value,
                          purpose="lead.callback")
            Lead.objects.create(subject=person, channel="web", notice_version="bench",
                                last_submitted_at=timezone.now())


def _timed_list(runs: int) -> list[float]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_superuser(
        f"bench-{time.time_ns()}", password="a long bench password")  # noqa: S106
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    stated = client.post("/admin/leads/lead/purpose/", {"purpose": "lead.callback"})
    assert stated.status_code == 302, stated.status_code
    client.get("/admin/leads/lead/")  # warm caches (catalog rules, templates)
    samples, cpu = [], []
    for _ in range(runs):
        started, own = time.perf_counter(), time.process_time()
        page = client.get("/admin/leads/lead/")
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - own) * 1000)
        assert page.status_code == 200 and page.content.count(b"****") >= PEOPLE
    CPU_MS.extend(cpu)
    return samples


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _measure(runs: int) -> float:
    from django.conf import settings
    from django.test import override_settings

    _seed()
    # Serve the admin's static names from the apps, as tests do (no collectstatic here).
    storages = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages):
        return round(_p95(_timed_list(runs)), 1)


def measure_admin_list(db_label: str, runs: int = 30) -> float:
    """p95 in ms of one console list page of 100 people (``db_label``: sqlite|postgres)."""
    from django.conf import settings

    if settings.configured:
        return _measure(max(runs, 30))
    with scratch_database(db_label, PG_BENCH_DB):
        return _measure(max(runs, 30))


def main() -> None:
    ensure_project_python()
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    p95 = measure_admin_list(args.db, args.runs)
    print(json.dumps({"metric": "admin_list_ms", "value": p95, "unit": "ms", "stat": "p95",
                      "db": args.db, "people": PEOPLE, "runs": max(args.runs, 30),
                      "target_ms": 150}), flush=True)
    print(json.dumps({"metric": "admin_list_cpu_ms", "value": round(statistics.median(CPU_MS), 1),
                      "unit": "ms", "stat": "median", "db": args.db, "people": PEOPLE}),
          flush=True)


if __name__ == "__main__":
    main()
