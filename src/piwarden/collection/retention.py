"""The retention runner: every registered ``Retention`` expires rows older than its catalog
activity's retention period, in bounded batches.

Retention values that are not durations (``account_lifetime``, ``until_withdrawn``,
``legal_hold``, ``session``) are ended by other events (cancellation, withdrawal, a lifted
hold, the end of a session), not by age, so the runner skips them and says so.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.catalog import selectors as catalog
from piwarden.subjects import registry

_DURATION = re.compile(r"^P(?=\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
BATCH = 1000


@dataclass(frozen=True)
class Duration:
    """An ISO-8601 period of years, months, weeks and days, subtracted calendar-wise."""

    years: int = 0
    months: int = 0
    days: int = 0

    def before(self, moment: datetime) -> datetime:
        months = moment.year * 12 + moment.month - 1 - self.years * 12 - self.months
        year, month = divmod(months, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day) - timedelta(days=self.days)

    def __radd__(self, moment: datetime) -> datetime:
        months = moment.year * 12 + moment.month - 1 + self.years * 12 + self.months
        year, month = divmod(months, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day) + timedelta(days=self.days)


def parse_duration(text: str) -> Duration | None:
    """``P12M`` → Duration(months=12); None for the named, not time-based rules."""
    match = _DURATION.match(text or "")
    if match is None:
        return None
    years, months, weeks, days = (int(part or 0) for part in match.groups())
    return Duration(years=years, months=months, days=weeks * 7 + days)


@dataclass(frozen=True)
class Due:
    name: str
    activity: str
    retention: str
    cutoff: datetime | None  # None: not time-based, or the activity is not in the catalog
    due: int | None


def due(now: datetime | None = None) -> list[Due]:
    """Every registered kind with its retention, cutoff and how many rows are past it."""
    now = now or timezone.now()
    periods = catalog.activity_retention()
    out = []
    for item in registry.retentions():
        retention = periods.get(item.activity, "")
        duration = parse_duration(retention)
        cutoff = duration.before(now) if duration else None
        out.append(Due(item.name, item.activity, retention or "(not in the catalog)", cutoff,
                       item.due(before=cutoff) if cutoff else None))
    return out


def run(*, actor: Actor, now: datetime | None = None, batch: int = BATCH,
        max_batches: int | None = None) -> dict[str, int]:
    """Expire what is due, ``batch`` rows per transaction; returns rows expired per kind.

    ``max_batches`` bounds one run per kind, so a large backlog is worked off over several
    runs instead of one long one.
    """
    now = now or timezone.now()
    periods = catalog.activity_retention()
    expired = {}
    for item in registry.retentions():
        duration = parse_duration(periods.get(item.activity, ""))
        if duration is None:
            continue
        cutoff, total, batches = duration.before(now), 0, 0
        while max_batches is None or batches < max_batches:
            count = item.expire(actor=actor, before=cutoff, limit=batch)
            total, batches = total + count, batches + 1
            if count < batch:
                break
        expired[item.name] = total
    return expired
