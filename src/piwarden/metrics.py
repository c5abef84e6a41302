"""Prometheus metrics (docs/operations.md), served at ``/metrics`` to a key with ``metrics:read``.

Counters live where the work is done and cost a microsecond or two. ``piwarden serve`` runs
several processes, so it points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before starting
them: each process writes its counts there and a scrape adds them up, whichever process answers.
The queue and audit-chain figures are read from the database at scrape time.
"""

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

CONSENT_WRITES = Counter("piwarden_consent_writes", "Consent choices recorded.")
DECISIONS = Counter("piwarden_decisions", "Purpose decisions answered.")
EVENTS_INGESTED = Counter("piwarden_events_ingested", "Collected events stored.")
ERASURES = Counter("piwarden_erasures", "Erasure runs completed.")
REQUEST_SECONDS = Histogram(
    "piwarden_http_request_seconds", "Time to answer an HTTP request, by route.",
    ["route"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

CONTENT_TYPE = CONTENT_TYPE_LATEST


class DatabaseCollector:
    """Figures read at scrape time: the task queue, the workers, the audit chain."""

    def collect(self):
        from piwarden.audit.models import ChainCheck
        from piwarden.jobs import selectors as jobs

        stats = jobs.queue_stats()
        for key, help_text in (
                ("ready_due", "Tasks due and waiting for a worker."),
                ("oldest_due_age_s", "Seconds the oldest due task has waited."),
                ("running", "Tasks running now."),
                ("dead", "Tasks that failed every attempt (dead letter)."),
                ("workers", "Task workers with a recent heartbeat.")):
            yield GaugeMetricFamily(f"piwarden_tasks_{key}", help_text, value=stats[key])
        beat = stats["last_beat_age_s"]
        yield GaugeMetricFamily("piwarden_worker_last_beat_age_s",
                                "Seconds since a task worker last beat (-1: never).",
                                value=-1 if beat is None else beat)
        check = ChainCheck.objects.exclude(ok=None).order_by("-finished_at").first()
        yield GaugeMetricFamily(
            "piwarden_audit_chain_ok",
            "Last audit-chain verification: 1 intact, 0 broken, -1 never run.",
            value=-1 if check is None else int(check.ok))
        yield GaugeMetricFamily(
            "piwarden_audit_chain_check_age_s", "Seconds since the last chain verification.",
            value=-1 if check is None else time.time() - check.finished_at.timestamp())


def exposition() -> bytes:
    """The text a scrape receives."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (CONSENT_WRITES, DECISIONS, EVENTS_INGESTED, ERASURES,
                          REQUEST_SECONDS):
            registry.register(collector)
    registry.register(DatabaseCollector())
    return generate_latest(registry)


__all__ = ["CONSENT_WRITES", "CONTENT_TYPE", "DECISIONS", "ERASURES", "EVENTS_INGESTED",
           "REGISTRY", "REQUEST_SECONDS", "exposition"]
