"""Rights requests speed: export and erasure of one subject, against a small and a big table.

    python bench/rights.py [--db sqlite|postgres] [--heavy-events 10000]
                           [--sizes 100000,1000000]

For each ``table_events`` size the events table is filled (``from ingest import fill``) until
it holds that many events, three new subjects of which hold ``--heavy-events`` each; they also
get a phone number, an e-mail address and a name in the vault and a consent with its
withdrawal. ``export_s`` is ``start_export`` + ``build_export`` (every registered source, the
ZIP with JSON, CSV and the HTML report, encrypted to disk), the median of three exports of the
first subject; ``erase_s`` is ``start_erasure`` + ``run_erasure`` (every source, then the vault
key shredded), the median over the three subjects. Targets: under 2 s each, and the two sizes
within 1.5x of each other (the cost follows the subject's data, not the table). Runs on a
scratch database that it creates and removes; prints one JSON object per figure.
"""

import argparse
import json
import os
import statistics
import time

from _common import ensure_project_python, scratch_database

PG_BENCH_DB = "piwarden_bench_rights"
EXPORT_RUNS = 3  # an export changes nothing: the median of three is reported
ERASE_RUNS = 3  # three subjects with the same data are erased: the median is reported


def _decorate(subject_id) -> None:
    """The PI an account holder typically has besides events: vault values and consents."""
    from piwarden.audit.actors import Actor
    from piwarden.consent import services as consent
    from piwarden.subjects.models import Subject
    from piwarden.vault import services as vault

    subject = Subject.objects.get(pk=subject_id)
    actor = Actor.person(subject)
    for field, value in (("phone", "+8613812345678"), ("email", "bench@example.cn"),
                         ("name", "张明")):
        vault.put(actor=actor, subject=subject, field=field, value=value,
                  purpose="account.registration" if field != "name" else "service.provision")
    for record in (consent.grant, consent.withdraw):
        record(actor=actor, subject=subject, purpose="marketing.email", channel="web",
               notice_text="We send you offers by e-mail.")


def _export(subject_id) -> tuple[float, dict]:
    """Median seconds of EXPORT_RUNS exports of the subject, and the last archive's sizes."""
    from piwarden.audit.actors import Actor
    from piwarden.subjectdata import services
    from piwarden.subjects.models import Subject

    subject = Subject.objects.get(pk=subject_id)
    runs = []
    for _ in range(EXPORT_RUNS):
        started = time.perf_counter()
        archive = services.start_export(actor=Actor.system("bench"), subject=subject)
        archive = services.build_export(archive_id=archive.pk)
        runs.append(time.perf_counter() - started)
        assert archive.status == "ready", archive.status
    return statistics.median(runs), {"rows": archive.sources, "zip_bytes": archive.size}


def _erase(subject_id) -> float:
    from piwarden.audit.actors import Actor
    from piwarden.subjectdata import services
    from piwarden.subjects.models import Subject

    started = time.perf_counter()
    run = services.start_erasure(actor=Actor.system("bench"),
                                 subject=Subject.objects.get(pk=subject_id), categories=None,
                                 reason="bench")
    run = services.run_erasure(run_id=run.pk)
    assert run.status == "done", run.status
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--heavy-events", type=int, default=10_000)
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated table_events sizes, ascending")
    args = parser.parse_args()
    ensure_project_python()
    # The bench calls the task bodies itself; nothing is queued for a worker.
    os.environ["PIWARDEN_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    from ingest import fill

    sizes = [int(size) for size in args.sizes.split(",")]
    with scratch_database(args.db, PG_BENCH_DB):
        from piwarden.collection.models import Event

        # Warm-up on a small subject: imports, templates, catalog caches, query plans.
        warm = fill(events=1000, subjects=1, heavy_events=1000)
        _decorate(warm)
        _export(warm)
        _erase(warm)
        for size in sizes:
            # ERASE_RUNS subjects of heavy_events each; the first is also exported.
            extra = (ERASE_RUNS - 1) * args.heavy_events
            held = Event.objects.count()
            started = time.perf_counter()
            heavy = [fill(events=size - held - extra, subjects=max(1, (size - held) // 100),
                          heavy_events=args.heavy_events)]
            heavy += [fill(events=args.heavy_events, subjects=1, heavy_events=args.heavy_events)
                      for _ in range(ERASE_RUNS - 1)]
            fill_s = time.perf_counter() - started
            for subject_id in heavy:
                _decorate(subject_id)
            table_events = Event.objects.count()
            export_s, sizes_of = _export(heavy[0])
            erase_s = statistics.median(_erase(subject_id) for subject_id in heavy)
            common = {"unit": "s", "db": args.db, "table_events": table_events,
                      "subject_events": args.heavy_events, "fill_s": round(fill_s, 1),
                      "export_runs": EXPORT_RUNS, "erase_runs": ERASE_RUNS, **sizes_of}
            print(json.dumps({"metric": "export_s", "value": round(export_s, 3), **common}),
                  flush=True)
            print(json.dumps({"metric": "erase_s", "value": round(erase_s, 3), **common}),
                  flush=True)


if __name__ == "__main__":
    main()
