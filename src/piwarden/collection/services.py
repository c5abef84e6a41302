"""Event ingestion, expiry and erasure: the only writers of the collection tables.

``ingest`` first looks up the batch's subjects and loads their consent views (outside any
transaction: ``decide`` keeps only what it reads outside one), then screens each event in turn
(validation, minimization, consent) and hands each accepted row on at once. The events, the
device links and one audit record for the batch are written in one transaction.

Built for batches of 1,000 (docs/collection.md, "Speed"):

- The catalog's event kinds are compiled once per catalog release into per-field rules that
  write minimized values straight into a row in the table's column order (no model instances,
  no per-event dicts). URL minimization caches the parts that repeat (``minimize.clean_url``).
- Subjects once found are trusted while their freshness token is unchanged; the others and the
  visitors are looked up in one query.
- On PostgreSQL the transaction opens before the screening and the accepted rows stream to the
  table by binary COPY (``collection.rows``), so the database inserts them while Python
  minimizes the rest of the batch. A row that was sent before makes the database refuse the
  COPY, and the batch falls back to an insert whose ``ON CONFLICT`` tells the duplicates apart
  (``rows.Stream``).
- On SQLite the rows are collected first and inserted after: the write lock is taken only to
  write.
"""

import contextlib
import functools
import gc
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg
from django.db import transaction
from django.utils import timezone

from piwarden import bulk, metrics
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.caches import freshness
from piwarden.catalog import selectors as catalog
from piwarden.collection import minimize, rows
from piwarden.collection.models import DeviceLink, Event
from piwarden.consent import decisions
from piwarden.consent.models import Visitor
from piwarden.errors import ServiceError
from piwarden.sites import guard
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
# Row positions (collection.rows.COLUMNS order).
_AT, _NULLABLE, _COLUMNS = rows.AT, rows.NULLABLE, rows.COLUMNS
_SUBJECT, _OCCURRED, _RECEIVED = rows.SUBJECT, rows.OCCURRED, rows.RECEIVED
_LAT, _LON, _ACC = _AT["latitude"], _AT["longitude"], _AT["accuracy_m"]



class BatchError(ServiceError):
    """The batch as a whole cannot be taken (empty, too large, not a list)."""


@dataclass(slots=True)
class Result:
    event_id: str
    status: str  # stored | duplicate | rejected
    code: str = ""
    dropped: list[str] | tuple = ()  # a list once anything is dropped (most events: nothing)

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


# A field's rule: the row position its minimized value goes to (a slice for the user agent's
# three columns; None for a declared field without a minimizer, which keeps nothing) and the
# function that minimizes it (raising minimize.Invalid when the value cannot be kept).
Rule = tuple[int | slice | None, Callable[[object], object]]


@dataclass
class _Kind:
    kind: str
    activity: str
    purpose: str
    fields: dict[str, str]
    ip: str
    params: frozenset[str]
    places: int | None
    rules: dict[str, Rule]
    located: bool  # declares latitude, longitude or accuracy_m
    # The categories of the fields of events where nothing was dropped, by their field names.
    _categories: dict[tuple, frozenset[str]] = field(default_factory=dict)

    def categories(self, data: dict, dropped: list[str]) -> frozenset[str]:
        """The categories of the declared fields the event carries, less those dropped."""
        fields = self.fields
        if dropped:
            return frozenset(fields[name] for name in data
                             if name in fields and name not in dropped)
        names = tuple(data)
        found = self._categories.get(names)
        if found is None:
            found = frozenset(fields[name] for name in names if name in fields)
            if len(self._categories) >= 1024:
                self._categories.clear()
            self._categories[names] = found
        return found

    def template(self, source: str, received_at) -> list:
        """A row of this kind before any event's values."""
        row = [None if name in _NULLABLE else "" for name in _COLUMNS]
        row[_AT["source"]], row[_AT["kind"]], row[_AT["activity"]] = (
            source, self.kind, self.activity)
        row[_RECEIVED] = received_at
        return row


def _user_agent(value) -> tuple[str, str, str]:
    if not isinstance(value, str):
        raise minimize.Invalid("not text")
    return minimize.parse_ua(value)


def _network_type(value) -> str:
    if value not in minimize.NETWORK_TYPES:
        raise minimize.Invalid("unknown network type")
    return value


def _rules(params: frozenset[str], ip_mode: str, key: bytes, places: int) -> dict[str, Rule]:
    """Every field name a kind may carry → its rule (bound to the kind's catalog entry)."""
    grid = minimize.grid_metres(places)
    clean_url, clean_int = minimize.clean_url, minimize.clean_int
    clean_text, clean_coordinate = minimize.clean_text, minimize.clean_coordinate
    language, screen = minimize._LANGUAGE, minimize._SCREEN
    return {
        "url": (_AT["url"], lambda v: clean_url(v, params)),
        "referrer": (_AT["referrer"], lambda v: clean_url(v, params)),
        "download": (_AT["download"], lambda v: clean_url(v, params)),
        "ip": (_AT["ip"], lambda v: minimize.clean_ip(v, ip_mode, key)),
        "user_agent": (slice(_AT["browser"], _AT["device_type"] + 1), _user_agent),
        "language": (_AT["language"], lambda v: clean_text(v, language, 35)),
        "screen": (_AT["screen"], lambda v: clean_text(v, screen, 16)),
        "network_type": (_AT["network_type"], _network_type),
        "duration_ms": (_AT["duration_ms"], lambda v: clean_int(v, 0, 86_400_000)),
        "accuracy_m": (_ACC, lambda v: max(clean_int(v, 0, 1_000_000), grid)),
        "latitude": (_LAT, lambda v: clean_coordinate(v, 90, places)),
        "longitude": (_LON, lambda v: clean_coordinate(v, 180, places)),
    }


def _keep_nothing(value) -> None:
    return None


# The compiled event kinds of the catalog release in use: (section, activities, ip key) they
# were compiled from, the kinds, the cross-device purpose. Rebuilt when any of those changes.
_compiled: tuple | None = None


def _kinds(key: bytes) -> tuple[dict[str, _Kind], str | None]:
    global _compiled
    section, activities = catalog.collection_rules()
    if (_compiled is not None and _compiled[0] is section and _compiled[1] is activities
            and _compiled[2] == key):
        return _compiled[3], _compiled[4]
    kinds = {}
    for entry in section.get("event_kinds", []):
        activity = activities.get(entry["activity"])
        if activity is None:
            continue
        params = frozenset(entry.get("query_params", []))
        ip_mode, places = entry.get("ip", "truncate"), entry.get("location_precision")
        known = _rules(params, ip_mode, key, places or 0)
        kinds[entry["kind"]] = _Kind(
            kind=entry["kind"], activity=entry["activity"], purpose=activity["purpose"],
            fields=entry["fields"], ip=ip_mode, params=params, places=places,
            rules={name: known.get(name, (None, _keep_nothing)) for name in entry["fields"]},
            located=bool(_LOCATION & entry["fields"].keys()))
    link_purpose = section.get("cross_device_purpose")
    _compiled = (section, activities, key, kinds, link_purpose)
    return kinds, link_purpose


def _clean(kind: _Kind, data: dict, row: list, dropped: list[str]) -> int:
    """Write the minimized values of one event's fields into ``row`` and the names of the
    fields dropped into ``dropped``; return how many fields were kept."""
    kept = 0
    rules = kind.rules
    for name, value in data.items():
        rule = rules.get(name)
        if rule is None or value is None:
            dropped.append(name[:64] if isinstance(name, str) else "?")
            continue
        at, clean = rule
        if at is None:
            continue
        try:
            row[at] = clean(value)
        except minimize.Invalid:
            dropped.append(name)
        else:
            kept += 1
    if kind.located and (row[_LAT] is None) != (row[_LON] is None):
        for name, index in (("latitude", _LAT), ("longitude", _LON), ("accuracy_m", _ACC)):
            if row[index] is not None:
                row[index] = None
                kept -= 1
                dropped.append(name)
    return kept


def _occurred_at(value, latest: datetime) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment > latest:
        return None
    return moment


# Subject ids as sent → (UUID, its canonical text), None when not one; across batches, as a
# site sends the same people again and again. A pure function of the text, bounded.
_uuids: dict[str, tuple[uuid.UUID, str] | None] = {}
# Subjects found to exist and not be erased, as sent → (UUID, freshness slot, the slot's token
# before they were read). Trusted while the token is unchanged: a change of a subject's status
# (an erasure) or its deletion changes it, in this process at once and in the others through
# the database (caches.freshness). Only what was found is kept (a subject
# created later needs no invalidation), and only what was read outside a transaction (a
# rollback would leave a subject in the cache that never existed).
_active: dict[str, tuple[uuid.UUID, int, int]] = {}


def _uuid(text: str) -> tuple[uuid.UUID, str] | None:
    found = _uuids.get(text, False)
    if found is not False:
        return found
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        found = None
    else:
        found = (parsed, str(parsed))
    if len(text) <= 64:
        if len(_uuids) >= 100_000:
            _uuids.clear()
        _uuids[text] = found
    return found


def _resolve_subjects(actor: Actor, raw: list[dict]) -> tuple[dict, dict]:
    """As sent → subject id: the known, not erased subjects; and the visitors'
    subjects (created when new, as the cookie banner does for a browser's first choice). One
    query for both, for the subjects not already known and the visitors."""
    token = freshness.token
    active, asked = {}, []
    for text in {e["subject"] for e in raw if isinstance(e.get("subject"), str)}:
        known = _active.get(text)
        if known is not None and token(known[1]) == known[2]:
            active[text] = known[0]
        elif parsed := _uuid(text):
            slot = freshness.bucket(parsed[0])
            asked.append((text, parsed, slot, token(slot)))
    sent = {e["visitor"] for e in raw if isinstance(e.get("visitor"), str)}
    browsers = [(text, parsed) for text in sent if (parsed := _uuid(text))]
    found, known = _lookup([parsed[1] for _, parsed, _, _ in asked],
                           [parsed[1] for _, parsed in browsers])
    keep = not transaction.get_connection().in_atomic_block
    if keep and len(_active) + len(found) > 200_000:
        _active.clear()
    for position in found:
        text, parsed, slot, seen = asked[position]
        active[text] = parsed[0]
        if keep:
            _active[text] = (parsed[0], slot, seen)
    if not browsers:
        return active, {}
    from piwarden.consent.services import visitor_subject

    visitors = {}
    for position, (text, (visitor_id, _)) in enumerate(browsers):
        subject_id = known.get(position)
        if subject_id is None:
            subject_id = known[position] = visitor_subject(actor=actor,
                                                           visitor_id=visitor_id).pk
        visitors[text] = subject_id
    return active, visitors


def _lookup(subject_ids: list[str], visitor_ids: list[str]) -> tuple[list[int],
                                                                    dict[int, uuid.UUID]]:
    """``(positions in subject_ids of the subjects that exist and are not erased, position in
    visitor_ids → that visitor's subject)``, in one query; ids as canonical UUID texts.
    Positions come back rather than ids, so nothing is parsed per row."""
    if not subject_ids and not visitor_ids:
        return [], {}
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    parts, params = [], []
    if subject_ids:
        ids, values = bulk.uuid_table(subject_ids, connection)
        parts.append(f"SELECT 0, ids.position, NULL FROM {ids} "  # noqa: S608
                     f"JOIN {quote(Subject._meta.db_table)} s ON s.{quote('id')} = ids.id "
                     f"WHERE s.{quote('status')} <> %s")
        params += [*values, SubjectStatus.ERASED.value]
    if visitor_ids:
        ids, values = bulk.uuid_table(visitor_ids, connection)
        parts.append(f"SELECT 1, ids.position, v.{quote('subject_id')} FROM {ids} "  # noqa: S608
                     f"JOIN {quote(Visitor._meta.db_table)} v "
                     f"ON v.{quote('visitor_id')} = ids.id")
        params += values
    found, known = [], {}
    if connection.vendor == "postgresql":
        # Bound on the server: Django's cursors would quote the 37 kB id list into the SQL.
        connection.ensure_connection()
        cursor = psycopg.Cursor(connection.connection)
    else:
        cursor = connection.cursor()
    with connection.wrap_database_errors, cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for which, position, subject_id in cursor.fetchall():
            if which == 0:
                found.append(position)
            else:
                known[position] = bulk.as_uuid(subject_id)
    return found, known


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
    kinds, link_purpose = _kinds(minimize.ip_key())
    gone = _gone_kinds(kinds, events)
    if gone:
        kinds = {name: kind for name, kind in kinds.items() if name not in gone}
    now = timezone.now()
    raw = [e if isinstance(e, dict) else {} for e in events]
    active, visitors = _resolve_subjects(actor, raw)
    decisions.prefetch([*active.values(), *visitors.values()])
    screening = _Screening(kinds, link_purpose, active, visitors, source, now)
    with _collector_paused():
        _store(actor, screening, raw)
        # Only the results outlive the batch: the rows and the rest of the screening go
        # before the collector is back, so it does not scan them on its first run.
        results, dropped = screening.results, screening.dropped
        del screening
    if gone:
        for event, result in zip(raw, results, strict=True):
            if result.code == "UNKNOWN_KIND" and event.get("kind") in gone:
                result.code = "GONE"
    return Batch(results, dropped)


def _gone_kinds(kinds: dict[str, "_Kind"], events: list) -> frozenset[str]:
    """Event kinds whose purpose belongs only to ended services (R-6.6); their events are
    rejected with ``GONE``, and a batch of nothing else answers 410. A dict lookup per call
    while no service has ended (``sites.guard``)."""
    closed = guard.closed_purposes()
    if not closed:
        return frozenset()
    gone = frozenset(name for name, kind in kinds.items() if kind.purpose in closed)
    if gone and all(isinstance(e, dict) and e.get("kind") in gone for e in events):
        raise BatchError("GONE", "This service has ended: it no longer collects these events.",
                         status=410, detail={"kinds": sorted(gone)})
    return gone


def _store(actor: Actor, screening: "_Screening", raw: list[dict]) -> None:
    """Screen the events, write the accepted ones and the batch's audit record."""
    connection, now = transaction.get_connection(), screening.now
    if connection.vendor == "postgresql":
        # The rows go to the table while the rest of the batch is still being minimized,
        # so the database's work (heap, indexes) runs beside Python's, not after it.
        with transaction.atomic():
            stream = rows.Stream(connection, now)
            with connection.execute_wrapper(stream.before_query):
                screening.run(raw, stream.add)
            _record(actor, screening, stream.finish())
    else:  # SQLite: no round trips to save, and the write lock is taken only to write
        collected = []
        screening.run(raw, collected.append)
        with transaction.atomic():
            _record(actor, screening, rows.insert(collected, now))


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused for one batch. A batch keeps thousands of
    objects alive until it ends (the request's events, a result and a row per event), none of
    them in reference cycles: the collector would only scan them again and again, and every
    few batches the whole heap with them (measured: a tenth of a batch's time). Memory is
    still freed as usual (reference counting); cycles made meanwhile wait for the next
    collection. Left as it was found when it was already paused (another thread's batch)."""
    paused_here = gc.isenabled()
    if paused_here:
        gc.disable()
    try:
        yield
    finally:
        if paused_here:
            gc.enable()


class _Screening:
    """The per-event checks of one batch, in order: id, kind, time, whose event, data, the
    fields (minimized), cross-device association, duplicates within the batch, consent. Each
    accepted event's row goes to ``add`` at once."""

    def __init__(self, kinds: dict[str, _Kind], link_purpose: str | None, active: dict,
                 visitors: dict, source: str, now: datetime):
        self.kinds, self.link_purpose = kinds, link_purpose
        self.active, self.visitors, self.source, self.now = active, visitors, source, now
        self.results: list[Result] = []
        self.dropped = Counter()
        self.links: dict[tuple, datetime] = {}
        # Accepted events in the order their rows were added: result, kind, categories.
        self.accepted: list[Result] = []
        self.accepted_kinds: list[_Kind] = []
        self.accepted_categories: list[frozenset[str]] = []
        self.accepted_owners: list[uuid.UUID] = []

    def run(self, raw: list[dict], add: Callable[[list], object]) -> None:
        kinds, link_purpose, active, visitors = (
            self.kinds, self.link_purpose, self.active, self.visitors)
        templates = {name: kind.template(self.source, self.now) for name, kind in kinds.items()}
        decide, latest = decisions.decide, self.now + MAX_CLOCK_SKEW
        results, dropped, links, seen = self.results, self.dropped, self.links, set()
        accepted, accepted_kinds, accepted_categories, accepted_owners = (
            self.accepted, self.accepted_kinds, self.accepted_categories, self.accepted_owners)
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
            occurred_at = _occurred_at(event.get("occurred_at"), latest)
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
            row = templates[kind.kind].copy()
            gone = []
            kept = _clean(kind, data, row, gone)
            if not event.keys() <= _STRUCTURE:
                gone.extend(sorted(k[:64] for k in event if k not in _STRUCTURE))
            link = None
            if (subject_id is not None and visitor_subject is not None
                    and visitor_subject != subject_id):
                # The event names an account and the browser it came from: linking them is
                # cross-device association, only under the purpose the catalog names for it.
                if link_purpose and decide(subject_id, link_purpose, (LINK_CATEGORY,)).allowed:
                    link = (subject_id, visitor_subject)
                else:
                    gone.append("visitor")
            if gone:
                result.dropped = gone
            owner = subject_id if subject_id is not None else visitor_subject
            key = (owner.int, event_id)  # the same key as the database's: person, sender, id
            if key in seen:
                result.status = "duplicate"
                continue
            seen.add(key)
            categories = kind.categories(data, gone)
            if not kept:
                result.code = "NO_DECLARED_FIELDS"
                continue
            if not decide(owner, kind.purpose, categories).allowed:
                result.code = ("LOCATION_NOT_PERMITTED" if kind.located and (
                    row[_LAT] is not None or row[_LON] is not None or row[_ACC] is not None)
                    else "CONSENT_REQUIRED")
                continue
            if gone:
                dropped.update(gone)
            if link is not None:
                links[link] = max(occurred_at, links.get(link, occurred_at))
            row[1], row[_SUBJECT], row[_OCCURRED] = event_id, owner, occurred_at
            accepted.append(result)
            accepted_kinds.append(kind)
            accepted_categories.append(categories)
            accepted_owners.append(owner)
            add(row)


def _record(actor: Actor, screening: _Screening, duplicates: set[int]) -> int:
    """After the rows: set each accepted event's status, write the device links and one
    audit record for the batch; return how many events were stored."""
    stored, purposes, groups, people = 0, Counter(), set(), set()
    owners = screening.accepted_owners
    for number, result in enumerate(screening.accepted):
        if number in duplicates:
            result.status = "duplicate"
            continue
        result.status = "stored"
        stored += 1
        people.add(owners[number])
        purposes[screening.accepted_kinds[number].purpose] += 1
        groups.add(screening.accepted_categories[number])
    categories = set().union(*groups)
    links, results = screening.links, screening.results
    if links:
        _store_links(links)
        categories.add(LINK_CATEGORY)
        people.update(person for pair in links for person in pair)
    rejected = Counter(r.code for r in results if r.status == "rejected")
    single = next(iter(purposes)) if len(purposes) == 1 else ""
    audit.record(
        actor=actor, action="collection.events_ingested", categories=sorted(categories),
        purpose=single, outcome=Outcome.SUCCESS if stored or not rejected else Outcome.DENIED,
        detail={"source": screening.source, "stored": stored,
                "duplicates": sum(1 for r in results if r.status == "duplicate"),
                "rejected": dict(sorted(rejected.items())),
                "purposes": dict(sorted(purposes.items())), "device_links": len(links)},
        subjects=people,
    )
    if stored:
        transaction.on_commit(functools.partial(metrics.EVENTS_INGESTED.inc, stored))
    return stored


def _store_links(links: dict) -> None:
    pairs = list(links)
    have = {(s, d): pk for pk, s, d in DeviceLink.objects.filter(
        subject_id__in={s for s, _ in pairs}, device_id__in={d for _, d in pairs})
        .values_list("pk", "subject_id", "device_id")
        if (s, d) in links}  # the filter also matches other pairs of these people
    DeviceLink.objects.bulk_create(
        [DeviceLink(subject_id=s, device_id=d, first_seen=seen, last_seen=seen)
         for (s, d), seen in links.items() if (s, d) not in have], ignore_conflicts=True)
    for pair, pk in have.items():
        DeviceLink.objects.filter(pk=pk, last_seen__lt=links[pair]).update(last_seen=links[pair])


EVENTS_SCREENED = "collection.events_screened"


@transaction.atomic
def redact_events(*, actor: Actor, changes: dict[int, dict[str, str]], found: dict[str, int],
                  categories: list[str], first_id: int, last_id: int, rows: int) -> int:
    """Overwrite stored event fields with their redacted text (the background scan,
    ``discovery.events.screen_events``) and record the batch scanned: ids, counts by type,
    never a value. The record's ``last_id`` is where the next scan starts."""
    for pk, fields in changes.items():
        Event.objects.filter(pk=pk).update(**fields)
    people = set(Event.objects.filter(pk__in=list(changes), subject__isnull=False)
                 .values_list("subject_id", flat=True))
    audit.record(actor=actor, action=EVENTS_SCREENED, categories=categories,
                 detail={"first_id": first_id, "last_id": last_id, "rows": rows,
                         "found": found, "events_redacted": len(changes)}, subjects=people)
    return len(changes)
