"""Event ingestion, expiry and erasure: the only writers of the collection tables.

``ingest`` first prepares the batch outside any transaction (validation, minimization, subject
lookup, consent decisions: ``decide`` answers from its per-process cache only outside a
transaction), then ``_store`` writes the accepted events, the device links and one audit record
for the whole batch in one transaction.
"""

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg
from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.catalog import selectors as catalog
from piwarden.collection import minimize
from piwarden.collection.models import DeviceLink, Event
from piwarden.consent import decisions
from piwarden.consent.models import Visitor
from piwarden.errors import ServiceError
from piwarden.subjects.models import Subject, SubjectStatus

MAX_BATCH = 1000
MAX_CLOCK_SKEW = timedelta(minutes=5)
LINK_CATEGORY = "user.device.link"
# Activities whose rows this app knows how to expire (see apps.py); a kind of another activity
# is refused rather than stored without a retention rule.
ACTIVITIES = ("log.access", "device.browser_info", "location.precise")
_EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_STRUCTURE = frozenset({"event_id", "kind", "occurred_at", "subject", "visitor", "data"})
_LOCATION = frozenset({"latitude", "longitude", "accuracy_m"})


class BatchError(ServiceError):
    """The batch as a whole cannot be taken (empty, too large, not a list)."""


@dataclass
class Result:
    event_id: str
    status: str  # stored | duplicate | rejected
    code: str = ""
    dropped: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        out = {"event_id": self.event_id, "status": self.status}
        if self.code:
            out["code"] = self.code
        if self.dropped:
            out["dropped"] = sorted(self.dropped)
        return out


@dataclass
class Batch:
    results: list[Result]
    dropped: Counter

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def as_json(self) -> dict:
        return {"stored": self.count("stored"), "duplicates": self.count("duplicate"),
                "rejected": self.count("rejected"), "dropped": dict(sorted(self.dropped.items())),
                "results": [r.as_json() for r in self.results]}


@dataclass
class _Kind:
    kind: str
    activity: str
    purpose: str
    fields: dict[str, str]
    ip: str
    params: frozenset[str]
    places: int | None


def _kinds() -> tuple[dict[str, _Kind], str | None]:
    section, activities = catalog.collection_rules()
    kinds = {}
    for entry in section.get("event_kinds", []):
        activity = activities.get(entry["activity"])
        if activity is None:
            continue
        kinds[entry["kind"]] = _Kind(
            kind=entry["kind"], activity=entry["activity"], purpose=activity["purpose"],
            fields=entry["fields"], ip=entry.get("ip", "truncate"),
            params=frozenset(entry.get("query_params", [])),
            places=entry.get("location_precision"))
    return kinds, section.get("cross_device_purpose")


def _clean(kind: _Kind, data: dict, key: bytes) -> tuple[dict, list[str]]:
    """The minimized columns of one event and the names of the fields dropped."""
    columns, dropped = {}, []
    for name, value in data.items():
        if name not in kind.fields or value is None:
            dropped.append(name[:64] if isinstance(name, str) else "?")
            continue
        try:
            if name in ("url", "referrer", "download"):
                columns[name] = minimize.clean_url(value, kind.params)
            elif name == "ip":
                columns["ip"] = minimize.clean_ip(value, kind.ip, key)
            elif name == "user_agent":
                if not isinstance(value, str):
                    raise minimize.Invalid("not text")
                columns["browser"], columns["os"], columns["device_type"] = \
                    minimize.parse_ua(value)
            elif name == "language":
                columns["language"] = minimize.clean_text(value, minimize._LANGUAGE, 35)
            elif name == "screen":
                columns["screen"] = minimize.clean_text(value, minimize._SCREEN, 16)
            elif name == "network_type":
                if value not in minimize.NETWORK_TYPES:
                    raise minimize.Invalid("unknown network type")
                columns["network_type"] = value
            elif name == "duration_ms":
                columns["duration_ms"] = minimize.clean_int(value, 0, 86_400_000)
            elif name == "accuracy_m":
                columns["accuracy_m"] = max(minimize.clean_int(value, 0, 1_000_000),
                                            minimize.grid_metres(kind.places or 0))
            elif name == "latitude":
                columns["latitude"] = minimize.clean_coordinate(value, 90, kind.places or 0)
            elif name == "longitude":
                columns["longitude"] = minimize.clean_coordinate(value, 180, kind.places or 0)
        except minimize.Invalid:
            dropped.append(name)
    if ("latitude" in columns) != ("longitude" in columns):
        for name in ("latitude", "longitude", "accuracy_m"):
            if columns.pop(name, None) is not None:
                dropped.append(name)
    return columns, dropped


def _occurred_at(value, now: datetime) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment > now + MAX_CLOCK_SKEW:
        return None
    return moment


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _resolve_subjects(actor: Actor, raw: list[dict]) -> tuple[dict, dict]:
    """As sent → subject id: the known, not erased subjects; and the visitors' subjects
    (created when new, as the cookie banner does for a browser's first choice)."""
    sent = {e["subject"] for e in raw if isinstance(e.get("subject"), str)}
    asked = {text: u for text in sent if (u := _uuid(text))}
    found = set(Subject.objects.filter(pk__in=set(asked.values())).exclude(
        status=SubjectStatus.ERASED).values_list("pk", flat=True)) if asked else set()
    active = {text: u for text, u in asked.items() if u in found}
    sent = {e["visitor"] for e in raw if isinstance(e.get("visitor"), str)}
    asked = {text: u for text in sent if (u := _uuid(text))}
    known = dict(Visitor.objects.filter(visitor_id__in=set(asked.values()))
                 .values_list("visitor_id", "subject_id")) if asked else {}
    from piwarden.consent.services import visitor_subject

    visitors = {}
    for text, visitor_id in asked.items():
        if visitor_id not in known:
            known[visitor_id] = visitor_subject(actor=actor, visitor_id=visitor_id).pk
        visitors[text] = known[visitor_id]
    return active, visitors


def ingest(*, actor: Actor, source: str, events: list) -> Batch:
    """Minimize, check and store a batch of events; see docs/collection.md for the shape.

    Each event gets ``stored``, ``duplicate`` (same ``event_id`` from the same source before)
    or ``rejected`` with a code. Fields the catalog does not declare for the event's kind, and
    values that cannot be minimized, are dropped and counted.
    """
    if not isinstance(events, list) or not events:
        raise BatchError("EMPTY_BATCH", "Send at least one event.")
    if len(events) > MAX_BATCH:
        raise BatchError("BATCH_TOO_LARGE", f"Send at most {MAX_BATCH} events per batch.")
    kinds, link_purpose = _kinds()
    key = minimize.ip_key()
    now = timezone.now()
    raw = [e if isinstance(e, dict) else {} for e in events]
    active, visitors = _resolve_subjects(actor, raw)
    decisions.prefetch({*active.values(), *visitors.values()})

    results: list[Result] = []
    rows: list[tuple[Result, dict, _Kind, frozenset[str]]] = []
    links: dict[tuple, datetime] = {}
    dropped = Counter()
    seen: set[tuple] = set()
    for event in raw:
        event_id = event.get("event_id")
        if not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
            results.append(Result(str(event_id)[:64] if event_id else "", "rejected",
                                  "INVALID_EVENT_ID"))
            continue
        result = Result(event_id, "rejected")
        results.append(result)
        kind = kinds.get(event.get("kind"))
        if kind is None or kind.activity not in ACTIVITIES:
            result.code = "UNKNOWN_KIND"
            continue
        occurred_at = _occurred_at(event.get("occurred_at"), now)
        if occurred_at is None:
            result.code = "INVALID_TIME"
            continue
        sent = event.get("subject")
        subject_id = active.get(sent) if isinstance(sent, str) else None
        visitor = event.get("visitor")
        visitor_subject = visitors.get(visitor) if isinstance(visitor, str) else None
        if sent is not None and subject_id is None:
            result.code = "UNKNOWN_SUBJECT"
            continue
        if subject_id is None and visitor_subject is None:
            result.code = "SUBJECT_REQUIRED"
            continue
        data = event.get("data")
        if not isinstance(data, dict):
            result.code = "INVALID_DATA"
            continue
        columns, result.dropped = _clean(kind, data, key)
        result.dropped.extend(sorted(k[:64] for k in event if k not in _STRUCTURE))
        link = None
        if subject_id is not None and visitor_subject is not None and visitor_subject != subject_id:
            # The event names an account and the browser it came from: linking them is
            # cross-device association, only under the purpose the catalog names for it.
            if link_purpose and decisions.decide(subject_id, link_purpose,
                                                 (LINK_CATEGORY,)).allowed:
                link = (subject_id, visitor_subject)
            else:
                result.dropped.append("visitor")
        owner = subject_id or visitor_subject
        if (owner, event_id) in seen:  # the same key as the database's: person, sender, id
            result.status = "duplicate"
            continue
        seen.add((owner, event_id))
        categories = frozenset(kind.fields[name] for name in data
                               if name in kind.fields and name not in result.dropped)
        if not columns:
            result.code = "NO_DECLARED_FIELDS"
            continue
        decision = decisions.decide(owner, kind.purpose, categories)
        if not decision.allowed:
            result.code = ("LOCATION_NOT_PERMITTED" if _LOCATION & columns.keys()
                           else "CONSENT_REQUIRED")
            continue
        dropped.update(result.dropped)
        if link is not None:
            links[link] = max(occurred_at, links.get(link, occurred_at))
        columns.update(source=source, event_id=event_id, subject_id=owner, kind=kind.kind,
                       activity=kind.activity, occurred_at=occurred_at)
        rows.append((result, columns, kind, categories))
    _store(actor=actor, source=source, rows=rows, links=links, results=results, now=now)
    return Batch(results, dropped)


@transaction.atomic
def _store(*, actor: Actor, source: str, rows: list, links: dict, results: list[Result],
           now: datetime) -> None:
    """Write the accepted events (skipping ids this source sent before), the device links and
    one audit record for the batch."""
    stored = _insert([columns for _, columns, _, _ in rows], now)
    new, purposes, categories = [], Counter(), set()
    for result, columns, kind, cats in rows:
        if _key(columns["subject_id"], columns["event_id"]) not in stored:
            result.status = "duplicate"
            continue
        result.status = "stored"
        new.append(columns)
        purposes[kind.purpose] += 1
        categories |= cats
    if links:
        _store_links(links)
        categories.add(LINK_CATEGORY)
    rejected = Counter(r.code for r in results if r.status == "rejected")
    single = next(iter(purposes)) if len(purposes) == 1 else ""
    audit.record(
        actor=actor, action="collection.events_ingested", categories=sorted(categories),
        purpose=single, outcome=Outcome.SUCCESS if new or not rejected else Outcome.DENIED,
        detail={"source": source, "stored": len(new),
                "duplicates": sum(1 for r in results if r.status == "duplicate"),
                "rejected": dict(sorted(rejected.items())),
                "purposes": dict(sorted(purposes.items())), "device_links": len(links)},
    )


_COLUMNS = ("source", "event_id", "subject_id", "kind", "activity", "occurred_at",
            "received_at", "ip", "url", "referrer", "download", "duration_ms", "browser", "os",
            "device_type", "language", "network_type", "screen", "latitude", "longitude",
            "accuracy_m")
_NULLABLE = frozenset({"duration_ms", "latitude", "longitude", "accuracy_m"})


def _key(subject_id, event_id: str) -> tuple[uuid.UUID, str]:
    """A stored row's identity as the unique key has it, whatever form the driver returns."""
    return uuid.UUID(str(subject_id)), event_id


def _insert(rows: list[dict], now: datetime) -> set[tuple[uuid.UUID, str]]:
    """Insert the events this source has not sent before for that person; return the
    (subject, event id) pairs stored.

    ``INSERT … ON CONFLICT DO NOTHING RETURNING``: the conflict clause is the duplicate check
    (a retry racing its original in another process included). Raw SQL, because bulk_create
    spent most of a batch compiling per-value SQL."""
    if not rows:
        return set()
    connection = transaction.get_connection()
    ops, quote = connection.ops, connection.ops.quote_name
    subject_field = Event._meta.get_field("subject")
    received = ops.adapt_datetimefield_value(now)
    values = []
    for row in rows:
        row["occurred_at"] = ops.adapt_datetimefield_value(row["occurred_at"])
        row["received_at"] = received
        row["subject_id"] = subject_field.get_db_prep_save(row["subject_id"], connection)
        values.append(tuple(row.get(name, None if name in _NULLABLE else "")
                            for name in _COLUMNS))
    columns = ", ".join(quote(name) for name in _COLUMNS)
    conflict = (f"ON CONFLICT ({quote('subject_id')}, {quote('source')}, {quote('event_id')}) "
                "DO NOTHING")
    table = quote(Event._meta.db_table)
    returning = f"RETURNING {quote('subject_id')}, {quote('event_id')}"
    if connection.vendor == "postgresql":
        # COPY into a session-local staging table (psycopg formats COPY rows in C; binding
        # 21 arrays of 1,000 values cost more than the database's work), then one statement
        # moves the rows on with the duplicate check.
        staging = quote("pw_event_staging")
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} "  # noqa: S608
                           f"ON COMMIT DELETE ROWS AS SELECT {columns} FROM {table} "
                           "WITH NO DATA")
            with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            cursor.execute(f"WITH moved AS (DELETE FROM {staging} RETURNING *) "  # noqa: S608
                           f"INSERT INTO {table} ({columns}) SELECT {columns} FROM moved "
                           f"{conflict} {returning}")
            return {_key(*row) for row in cursor.fetchall()}
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    sql = (f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
           f"{conflict} {returning}")
    stored = set()
    with connection.cursor() as cursor:
        for row in values:  # SQLite: no statement round trips to save
            cursor.execute(sql, row)
            stored.update(_key(*row) for row in cursor.fetchall())
    return stored


def _store_links(links: dict) -> None:
    pairs = list(links)
    have = {(s, d): pk for pk, s, d in DeviceLink.objects.filter(
        subject_id__in={s for s, _ in pairs}, device_id__in={d for _, d in pairs})
        .values_list("pk", "subject_id", "device_id")}
    DeviceLink.objects.bulk_create(
        [DeviceLink(subject_id=s, device_id=d, first_seen=seen, last_seen=seen)
         for (s, d), seen in links.items() if (s, d) not in have], ignore_conflicts=True)
    for pair, pk in have.items():
        DeviceLink.objects.filter(pk=pk, last_seen__lt=links[pair]).update(last_seen=links[pair])
