"""PI discovery: detector speed, precision and recall on the generated corpus, database scan.

    python bench/discovery.py [--db sqlite|postgres] [--docs 20000] [--rows 20000] [--seed 18]
                              [--show-errors N] [--no-database]

Figures, one JSON object per line on stdout:
- ``docs_per_s`` and ``bytes_per_s``: ``piwarden.discovery.scan`` over ``--docs`` generated
  documents of 50-1,200 bytes (``piwarden.discovery.corpus``), pinned to one core, CPU time
  (``time.process_time``), the median of 5 runs (target >= 50,000 documents/s); ``compiled``
  says whether the detector's compiled modules ran (``piwarden.compiled``);
- ``docs_per_s_source``: the same with the detector's Python source, in a process of its own;
- ``precision`` and ``recall`` per detector type and overall (``"type": "all"``) on the same
  documents, a finding counting only when its (type, start, end) is exactly a label (target
  >= 0.98 each); ``errors`` per type: labels missed, spurious findings, findings of the right
  type with the wrong span (``boundary``) or of another type on the exact span (``wrong_type``);
  ``decoy_hits`` per kind of planted near miss that something was found on;
- ``discover_rows_per_s``: ``run_discover`` over the database only, on a scratch database
  holding an undeclared table (created by raw SQL, outside the ORM) of ``--rows`` rows of
  corpus text, each row read (the sample is the row count); wall clock, since the database
  works too.
``--show-errors N`` prints up to N wrong documents (expected vs found) to stderr.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter

from _common import ensure_project_python, scratch_database

PG_BENCH_DB = f"piwarden_bench_discovery_{os.getpid()}"
RUNS = 5
TABLE = "bench_discovery_notes"


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _emit(**figure) -> None:
    print(json.dumps(figure, ensure_ascii=False), flush=True)


def _one_core() -> int:
    """Pin this process to one CPU (the figure is per core)."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def measure_speed(texts: list[str], db: str, metric: str = "docs_per_s") -> None:
    from piwarden import compiled
    from piwarden.discovery import scan

    cpu = _one_core()
    for text in texts[:500]:  # warm up compiled patterns and caches
        scan(text)
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        for text in texts:
            scan(text)
        times.append(time.process_time() - started)
    median = statistics.median(times)
    size = sum(len(text.encode()) for text in texts)
    common = {"db": db, "docs": len(texts), "runs": RUNS, "cpu": cpu, "clock": "process_time",
              "compiled": compiled.in_use()}
    _emit(metric=metric, value=round(len(texts) / median), unit="1/s", target=">= 50000",
          **common)
    if metric == "docs_per_s":
        _emit(metric="bytes_per_s", value=round(size / median), unit="B/s", **common)


def measure_speed_from_source(args) -> None:
    """The same figure with the detector's Python source (``piwarden.compiled``), in a process
    of its own: what a machine without a C compiler gets."""
    command = [sys.executable, __file__, "--speed-only", "--docs", str(args.docs),
               "--seed", str(args.seed), "--db", args.db]
    done = subprocess.run(command, env={**os.environ, "PIWARDEN_PURE_PYTHON": "1"},
                          capture_output=True, text=True, check=True)
    print(done.stdout, end="", flush=True)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def measure_accuracy(docs: list, show_errors: int) -> None:
    from piwarden.discovery import TYPES, scan

    tp, fp, fn = Counter(), Counter(), Counter()
    boundary, wrong_type, decoy_hits = Counter(), Counter(), Counter()
    shown = 0
    for doc in docs:
        expected = set(doc.labels)
        found = {(f.type, f.start, f.end) for f in scan(doc.text)}
        for hit in found & expected:
            tp[hit[0]] += 1
        for kind, start, end in found - expected:
            fp[kind] += 1
            spans = [(t, s, e) for t, s, e in expected if s < end and start < e]
            if any(t == kind for t, _, _ in spans):
                boundary[kind] += 1
            elif any((s, e) == (start, end) for _, s, e in spans):
                wrong_type[kind] += 1
            for decoy, s, e in doc.decoys:
                if s < end and start < e:
                    decoy_hits[decoy] += 1
        for kind, _, _ in expected - found:
            fn[kind] += 1
        if found != expected and shown < show_errors:
            shown += 1
            _log(f"--- {doc.lang}: {doc.text!r}")
            _log(f"    expected {[(t, doc.text[s:e]) for t, s, e in sorted(expected, key=_at)]}")
            _log(f"    found    {[(t, doc.text[s:e]) for t, s, e in sorted(found, key=_at)]}")
    for kind in [*TYPES, "all"]:
        if kind == "all":
            t, p, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
        else:
            t, p, n = tp[kind], fp[kind], fn[kind]
        common = {"type": kind, "unit": "ratio", "tp": t, "fp": p, "fn": n, "docs": len(docs)}
        _emit(metric="precision", value=_ratio(t, t + p), target=">= 0.98", **common)
        _emit(metric="recall", value=_ratio(t, t + n), target=">= 0.98", **common)
        if kind != "all":
            _emit(metric="errors", type=kind, missed=n, spurious=p, boundary=boundary[kind],
                  wrong_type=wrong_type[kind])
    for kind, count in decoy_hits.most_common():
        _emit(metric="decoy_hits", kind=kind, value=count)


def _at(label: tuple[str, int, int]) -> int:
    return label[1]


def measure_discover(db: str, texts: list[str]) -> None:
    with scratch_database(db, PG_BENCH_DB):
        from django.db import connection, connections

        from piwarden.audit.actors import Actor
        from piwarden.discovery.services import run_discover

        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, note text NOT NULL)")
            cursor.executemany(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)",
                               list(enumerate(texts, start=1)))
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {TABLE}")
        started, cpu = time.perf_counter(), time.process_time()
        report = run_discover(actor=Actor.system("bench"), sources=["database"],
                              sample=len(texts))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        ours = report.findings.filter(location__startswith=f"{TABLE}.")
        _log(f"discover: {report.rows_scanned} rows, {report.cells_scanned} cells in "
             f"{elapsed:.2f} s ({cpu:.2f} s CPU here); in {TABLE}: "
             f"{sorted((f.type, f.count) for f in ours)}")
        _emit(metric="discover_rows_per_s", value=round(report.rows_scanned / elapsed),
              unit="1/s", db=db, rows=report.rows_scanned, table_rows=len(texts),
              seconds=round(elapsed, 3), cpu_s=round(cpu, 3))
        connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--show-errors", type=int, default=0, metavar="N")
    parser.add_argument("--no-database", action="store_true", help="skip discover_rows_per_s")
    parser.add_argument("--speed-only", action="store_true", help="only docs_per_s_source")
    args = parser.parse_args()
    from piwarden.discovery.corpus import generate

    if args.speed_only:
        texts = [doc.text for doc in generate(args.docs, seed=args.seed)]
        measure_speed(texts, args.db, metric="docs_per_s_source")
        return
    docs = generate(max(args.docs, args.rows), seed=args.seed)
    _log(f"corpus: {len(docs)} documents, {sum(len(d.labels) for d in docs)} labels")
    measure_accuracy(docs[:args.docs], args.show_errors)
    measure_speed([doc.text for doc in docs[:args.docs]], args.db)
    measure_speed_from_source(args)
    if not args.no_database:
        measure_discover(args.db, [doc.text for doc in docs[:args.rows]])


if __name__ == "__main__":
    ensure_project_python()
    main()
