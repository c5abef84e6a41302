"""Anomaly alerts from the audit trail (V-5.1b): bulk reads, off-hours access, new networks.

``scan()`` runs every minute (``audit.tasks.scan_anomalies``) over the records appended since
its last run (``AnomalyScan``) and raises alerts through ``alerts.services``, which e-mails
the staff who may see alerts (the security officer's role):

- ``staff.bulk_read`` / ``api_client.bulk_read`` (high): one staff member or API client was
  handed the PI of more than ``PIWARDEN_ANOMALY_PEOPLE_PER_MINUTE`` distinct people within
  60 seconds. People handed = the ``subject`` and child rows of its successful PI reads
  (``counts(action)``). Once per burst: no second alert while it stays over the limit.
- ``staff.off_hours`` (medium): a staff PI read outside ``PIWARDEN_WORKING_HOURS`` (China
  time) or on a day off of the PRC calendar; once per staff member and day.
- ``staff.new_network`` (medium): a staff login (``staff.login``, whose detail holds the
  /24 or /64 network) from a network never seen for that person; the first login seeds.

Fast over a long trail: SQL sums the people per actor and minute; a 60-second span covers at
most two adjacent minutes, so only a minute holding at least half the limit can be part of
a burst. Those minutes (and their neighbours) get an exact sliding count in Python. Each run
re-reads the 60 seconds before its cursor, so a burst split between two runs is seen.
"""

from collections import Counter, deque
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from piwarden.alerts.services import raise_alert
from piwarden.audit import scoping
from piwarden.audit.actors import ActorKind
from piwarden.audit.models import ActorWatch, AnomalyScan, AuditEvent, AuditSubject, Outcome

SOURCE = "audit.anomalies"
WINDOW = timedelta(seconds=60)
WATCHED = (ActorKind.STAFF, ActorKind.API_CLIENT)
FULL_SCAN_FROM = 50_000  # records behind: SQLite reads the whole table instead
# Reads by scoping's rule (one rule for "read") that hand no one's PI to the reader.
NO_PI_READS = frozenset({"sharing.statistics_provided"})  # aggregates, small cells removed


def counts(action: str) -> bool:
    """Whether a successful record of ``action`` handed the PI of the people it names to its
    actor. Writes and answers without PI (consent decisions) do not count."""
    return scoping.is_read(action) and action not in NO_PI_READS


@transaction.atomic
def scan() -> dict:
    """Alert on what was appended since the last run; returns how many alerts of each kind."""
    cursor, _ = AnomalyScan.objects.select_for_update().get_or_create(pk=1)
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "occurred_at").first()
    found = {"records": 0, "bulk_read": 0, "off_hours": 0, "new_network": 0}
    if head is None or head[0] <= cursor.seq:
        return found
    watches = _Watches()
    reads = [action for action in _actions() if counts(action)]
    if reads:
        minutes = _minutes(cursor, head[0], reads)
        found["bulk_read"] = _bulk_reads(minutes, head[0], reads, watches)
        found["off_hours"] = _off_hours(minutes, watches)
    found["new_network"] = _new_networks(cursor.seq, head[0], watches)
    watches.save()
    found["records"] = head[0] - cursor.seq
    cursor.seq, cursor.occurred_at, cursor.scanned_at = head[0], head[1], timezone.now()
    cursor.save()
    return found


class _Watches(dict):
    """The ``ActorWatch`` rows touched in this run, by (kind, id), saved at the end."""

    def of(self, kind: str, actor_id: str) -> ActorWatch:
        key = (kind, actor_id)
        if key not in self:
            self[key] = (ActorWatch.objects.filter(actor_kind=kind, actor_id=actor_id).first()
                         or ActorWatch(actor_kind=kind, actor_id=actor_id))
        return self[key]

    def save(self) -> None:
        for watch in self.values():
            watch.save()


def _actions() -> list[str]:
    """Every action in the trail, by a skip scan of its index (a few dozen lookups)."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as sql:
        sql.execute(f"WITH RECURSIVE a(action) AS (SELECT MIN(action) FROM {table} "  # noqa: S608
                    f"UNION ALL SELECT (SELECT MIN(action) FROM {table} t "
                    f"WHERE t.action > a.action) FROM a WHERE a.action IS NOT NULL) "
                    f"SELECT action FROM a WHERE action IS NOT NULL")
        return [row[0] for row in sql.fetchall()]


def _in(values) -> tuple[str, list]:
    values = list(values)
    return ", ".join(["%s"] * len(values)), values


def _minutes(cursor: AnomalyScan, head: int, reads: list[str]) -> list[tuple]:
    """``(actor kind, actor id, minute, people)`` of the watched actors' reads, per clock
    minute (minutes since 1970, UTC), where the minute may be part of a bulk read (it holds
    at least half the limit plus one people) or is off hours for a staff member; one pass.

    The run reads the new records and the minute before them (a burst split between runs);
    ``people`` counts child rows by the record's digest, so a person named twice counts twice
    (an upper bound; ``_over`` counts exactly).
    """
    limit = settings.PIWARDEN_ANOMALY_PEOPLE_PER_MINUTE
    kinds, kind_args = _in(WATCHED)
    actions, action_args = _in(reads)
    since, args = "", []
    if cursor.seq:
        since = "AND (seq > %s OR occurred_at >= %s)"
        args = [cursor.seq, cursor.occurred_at - WINDOW]
    off, off_args = "", []
    hours = working_hours()
    if hours is not None:
        first = cursor.occurred_at or (AuditEvent.objects.order_by("occurred_at")
                                       .values_list("occurred_at", flat=True).first())
        days, days_args = _in([_epoch_day(day) for day in _days_off(first, timezone.now())])
        local = f"({MINUTE[connection.vendor]} + {CHINA_OFFSET})"
        # No day off in the span (Tuesday to Thursday): no day clause (PostgreSQL refuses
        # an empty ``IN ()``).
        day_off = f"OR {local} / 1440 IN ({days})" if days_args else ""
        off = (f"OR (actor_kind = %s AND ({local} %% 1440 < %s OR {local} %% 1440 >= %s "
               f"{day_off}))")
        off_args = [ActorKind.STAFF, *(t.hour * 60 + t.minute for t in hours), *days_args]
    people = ("(CASE WHEN subject_id IS NULL THEN 0 ELSE 1 END) + "
              f"{TOUCHED[connection.vendor]}")
    # A long backlog reads faster in table order than through an index, row by row.
    hint = ("NOT INDEXED" if connection.vendor == "sqlite" and head - cursor.seq > FULL_SCAN_FROM
            else "")
    if connection.vendor == "postgresql":
        with connection.cursor() as db:  # group in memory, not by an external sort
            db.execute("SET LOCAL work_mem = '64MB'")
    with connection.cursor() as db:
        db.execute(
            f"SELECT actor_kind, actor_id, {MINUTE[connection.vendor]} AS m, SUM({people}) "  # noqa: S608
            f"FROM {AuditEvent._meta.db_table} {hint} WHERE seq <= %s {since} "
            f"AND outcome = %s AND actor_kind IN ({kinds}) AND action IN ({actions}) "
            f"GROUP BY actor_kind, actor_id, m HAVING SUM({people}) >= %s {off} "
            f"ORDER BY actor_kind, actor_id, m",
            [head, *args, Outcome.SUCCESS, *kind_args, *action_args, (limit + 2) // 2,
             *off_args])
        return db.fetchall()


# Minutes since 1970 (UTC), and the child rows a record names (its digest's count), in SQL.
MINUTE = {"postgresql": "FLOOR(DATE_PART('epoch', occurred_at) / 60)::bigint",
          "sqlite": "CAST(strftime('%%s', occurred_at) AS INTEGER) / 60"}
TOUCHED = {"postgresql": "COALESCE((detail->'touched'->>'count')::int, 0)",
           "sqlite": "COALESCE(json_extract(detail, '$.touched.count'), 0)"}
CHINA_OFFSET = 8 * 60  # minutes; China has had no daylight saving time since 1991
EPOCH = date(1970, 1, 1)


def _epoch_day(day: date) -> int:
    return (day - EPOCH).days


def _china(minute: int) -> datetime:
    """A clock minute in China time, as a naive local datetime."""
    return datetime.fromtimestamp(minute * 60, tz=UTC).replace(tzinfo=None) + timedelta(
        minutes=CHINA_OFFSET)


def _days_off(first: datetime | None, last: datetime) -> list[date]:
    if first is None:
        return []
    day = (first - timedelta(days=1) + timedelta(minutes=CHINA_OFFSET)).date()
    end = (last + timedelta(days=1, minutes=CHINA_OFFSET)).date()
    days = []
    while day <= end:
        if not is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _bulk_reads(minutes: list[tuple], head: int, reads: list[str], watches: _Watches) -> int:
    limit = settings.PIWARDEN_ANOMALY_PEOPLE_PER_MINUTE
    spans: dict[tuple[str, str], list[list[int]]] = {}
    for kind, actor_id, minute, people in minutes:
        if people < (limit + 2) // 2:
            continue  # there for the off-hours check only
        ranges = spans.setdefault((kind, actor_id), [])
        if ranges and minute - 1 <= ranges[-1][1] + 1:
            ranges[-1][1] = minute  # the neighbour minutes overlap: one range
        else:
            ranges.append([minute, minute])
    raised = 0
    for (kind, actor_id), ranges in spans.items():
        watch = watches.of(kind, actor_id)
        for first, last in ranges:
            start = datetime.fromtimestamp(first * 60, tz=UTC) - WINDOW
            end = datetime.fromtimestamp((last + 1) * 60, tz=UTC) + WINDOW
            for began, at, people in _over(kind, actor_id, start, end, head, reads, limit):
                if watch.bulk_until is None or at - watch.bulk_until > WINDOW:
                    _alert_bulk(kind, actor_id, began, at, people, limit)
                    raised += 1
                watch.bulk_until = max(at, watch.bulk_until or at)
    return raised


def _over(kind, actor_id, start, end, head, reads, limit):
    """Yield ``(window start, moment, people)`` at each record that takes the actor's count
    of distinct people handed to it in the last 60 seconds over ``limit``."""
    events = list(AuditEvent.objects.filter(
        actor_kind=kind, actor_id=actor_id, occurred_at__gte=start, occurred_at__lt=end,
        seq__lte=head, outcome=Outcome.SUCCESS, action__in=reads,
    ).order_by("occurred_at", "seq").values_list("pk", "occurred_at", "subject_id"))
    named: dict[int, list] = {}
    for event_id, subject_id in AuditSubject.objects.filter(
            event_id__in=[pk for pk, _, _ in events]).values_list("event_id", "subject_id"):
        named.setdefault(event_id, []).append(subject_id)
    window: deque = deque()
    seen: Counter = Counter()
    for pk, at, subject_id in events:
        people = set(named.get(pk, ()))
        if subject_id is not None:
            people.add(subject_id)
        window.append((at, people))
        seen.update(people)
        while window[0][0] <= at - WINDOW:
            for person in window.popleft()[1]:
                seen[person] -= 1
                if not seen[person]:
                    del seen[person]
        if len(seen) > limit:
            yield window[0][0], at, len(seen)


def _reference(kind: str, actor_id: str) -> str:
    if kind == ActorKind.STAFF:
        return f"{get_user_model()._meta.label_lower}:{actor_id}"
    return f"clients.apiclient:{actor_id}"


def _who(kind: str, actor_id: str) -> str:
    return f"{'Staff member' if kind == ActorKind.STAFF else 'API client'} {actor_id}"


def _alert_bulk(kind, actor_id, began, at, people, limit) -> None:
    raise_alert(
        kind=f"{kind}.bulk_read", severity="high", source=SOURCE,
        summary=f"{_who(kind, actor_id)} was handed the PI of {people} people within 60 "
                f"seconds (limit {limit})",
        detail={"actor_kind": kind, "actor_id": actor_id, "people": people, "limit": limit,
                "from": began.isoformat(), "to": at.isoformat()},
        objects=[_reference(kind, actor_id)])


def working_hours() -> tuple[time, time] | None:
    """``PIWARDEN_WORKING_HOURS`` ("08:00-20:00", China time) as times; None: not checked."""
    text = settings.PIWARDEN_WORKING_HOURS.strip()
    if not text:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    return start, end


def is_workday(day: date) -> bool:
    """A working day of the PRC calendar (weekends and holidays off, swapped days on);
    Monday to Friday for years the calendar does not cover yet."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _off_hours(minutes: list[tuple], watches: _Watches) -> int:
    hours = working_hours()
    if hours is None:
        return 0
    raised = 0
    for kind, actor_id, minute, _ in minutes:
        local = _china(minute)
        day = local.date()
        if kind != ActorKind.STAFF or (is_workday(day) and hours[0] <= local.time() < hours[1]):
            continue
        watch = watches.of(ActorKind.STAFF, actor_id)
        if watch.off_hours_day is not None and day <= watch.off_hours_day:
            continue
        watch.off_hours_day = day
        raise_alert(
            kind="staff.off_hours", severity="medium", source=SOURCE,
            summary=f"Staff member {actor_id} read PI outside working hours on {day} "
                    f"(China time)",
            detail={"actor_kind": ActorKind.STAFF, "actor_id": actor_id,
                    "day": day.isoformat(), "at": local.strftime("%H:%M"),
                    "working_hours": settings.PIWARDEN_WORKING_HOURS,
                    "workday": is_workday(day)},
            objects=[_reference(ActorKind.STAFF, actor_id)])
        raised += 1
    return raised


def _new_networks(after: int, head: int, watches: _Watches) -> int:
    logins = AuditEvent.objects.filter(
        action="staff.login", outcome=Outcome.SUCCESS, actor_kind=ActorKind.STAFF,
        seq__gt=after, seq__lte=head).order_by("seq").values_list("actor_id", "detail")
    raised = 0
    for actor_id, detail in logins:
        network = detail.get("ip") if isinstance(detail, dict) else None
        if not network:
            continue
        watch = watches.of(ActorKind.STAFF, actor_id)
        if network in watch.networks:
            continue
        if watch.networks:  # the first login ever only seeds the list
            raise_alert(
                kind="staff.new_network", severity="medium", source=SOURCE,
                summary=f"Staff member {actor_id} logged in from a new network {network}",
                detail={"actor_kind": ActorKind.STAFF, "actor_id": actor_id,
                        "network": network, "known": len(watch.networks)},
                objects=[_reference(ActorKind.STAFF, actor_id)])
            raised += 1
        watch.networks = [*watch.networks, network]
    return raised
