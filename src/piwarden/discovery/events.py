"""Stored events scanned in the background (V-5.1a, C-2.2.2).

Event URLs are minimized at ingestion (``collection/minimize.py``) and no scan is added to that
hot path: this scan reads stored events after the fact, in batches since a cursor, redacts what
it finds through ``collection.services.redact_events`` and raises an alert, since ingestion
should have removed it.
"""

import zlib
from collections import Counter
from datetime import timedelta
from urllib.parse import unquote

from django.db import connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from piwarden.discovery import TYPES, Finding, redact, scan

EVENT_FIELDS = ("url", "referrer", "download")  # the free text an event keeps
# An address in a URL is the server's, and the ``ip`` column holds a truncated one by design;
# a Unified Social Credit Code names an organisation.
NOT_IN_EVENTS = frozenset({"ipv4", "ipv6", "cn_uscc"})
SETTLE = timedelta(minutes=10)  # rows younger than this may still sit in an open transaction
ALERT_KIND = "discovery.pi_in_stored_events"
MAX_FIELD = 2048


def events_cursor() -> int:
    """The last event id scanned: the newest ``collection.events_screened`` record's."""
    from piwarden.audit.models import AuditEvent
    from piwarden.collection.services import EVENTS_SCREENED

    detail = (AuditEvent.objects.filter(action=EVENTS_SCREENED).order_by("-seq")
              .values_list("detail", flat=True).first())
    return int(detail["last_id"]) if detail else 0


@sensitive_variables("value", "text")
def _event_value(value: str) -> tuple[str, list[Finding]]:
    """The field redacted (percent-decoded first, so ``%40`` hides no e-mail) and what was
    found; the value itself when nothing was."""
    text = unquote(value) if "%" in value else value
    findings = [found for found in scan(text) if found.type not in NOT_IN_EVENTS]
    return (redact(text, findings)[:MAX_FIELD], findings) if findings else (value, [])


def screen_events(*, actor, batch: int = 5000, max_batches: int = 20) -> dict:
    """Scan stored events since the cursor, in batches of ``batch`` ids, each batch redacted
    and recorded in one transaction (``collection.services.redact_events``); an alert when
    something is found, since ingestion should have removed it (one while it is unresolved).

    Rows are taken by id only, in order, and a batch ends before the first row younger than
    ``SETTLE``: the cursor never passes a row that is not settled, so a row whose id is lower
    but whose transaction committed later than its neighbours' is scanned too (a filter on
    ``received_at`` would let the cursor jump over it for ever). Each batch holds the scan's
    lock (``_lock``), so two runs at once neither repeat a batch nor record it twice."""
    from piwarden.collection import services as collection
    from piwarden.collection.models import Event

    totals, scanned, more = Counter(), 0, False
    for _ in range(max_batches):
        with transaction.atomic():
            _lock()
            cutoff = timezone.now() - SETTLE
            taken = (Event.objects.filter(pk__gt=events_cursor()).order_by("pk")
                     .values_list("pk", "received_at", *EVENT_FIELDS)[:batch])
            rows = _settled(taken, cutoff)
            if not rows:
                more = False
                break
            changes, found = {}, Counter()
            for pk, _received, *values in rows:
                for name, value in zip(EVENT_FIELDS, values, strict=True):
                    new, findings = _event_value(value) if value else (value, [])
                    if findings:
                        changes.setdefault(pk, {})[name] = new
                        found.update(finding.type for finding in findings)
            collection.redact_events(
                actor=actor, changes=changes, found=dict(sorted(found.items())),
                categories=sorted({TYPES[kind] for kind in found}), first_id=rows[0][0],
                last_id=rows[-1][0], rows=len(rows))
            if found:
                _alert(actor=actor, found=found, events=len(changes))
        totals.update(found)
        scanned += len(rows)
        more = len(rows) == batch  # a full batch: more may be waiting
        if not more:
            break
    return {"rows": scanned, "found": dict(sorted(totals.items())), "more": more}


def _settled(rows, cutoff) -> list:
    """The rows up to the first one received at or after ``cutoff`` (rows in id order)."""
    kept = []
    for row in rows:
        if row[1] >= cutoff:
            break
        kept.append(row)
    return kept


# The scan's lock on PostgreSQL (an advisory lock: no row to lock, no table to add). SQLite
# needs none: piwarden opens its transactions IMMEDIATE (settings), so one writer at a time.
LOCK_KEY = zlib.crc32(b"piwarden.discovery.screen_events")


def _lock() -> None:
    """Wait for any other run's batch to commit (PostgreSQL); held until this one commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _alert(*, actor, found: Counter, events: int) -> None:
    from piwarden.alerts.models import Alert, AlertStatus, Severity
    from piwarden.alerts.services import raise_alert

    if Alert.objects.filter(kind=ALERT_KIND).exclude(status=AlertStatus.RESOLVED).exists():
        return  # staff already look into it; the audit trail counts every batch
    raise_alert(kind=ALERT_KIND, severity=Severity.HIGH, source="discovery.screen_events",
                actor=actor, summary=f"Personal information was found in {events} stored "
                "event(s) and redacted: ingestion should have removed it. Check the "
                "minimization rules of the collection section.",
                detail={"found": dict(sorted(found.items())), "events": events})
