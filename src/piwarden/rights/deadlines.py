"""Due dates: the business days the published privacy policy promises (10 by default) on the
official PRC calendar, the day of receipt not counted (policy §IX).

Which calendar decides whether a day is a workday, first match wins:

1. the operator's official schedule (``OfficialDay`` rows, loaded with ``piwarden
   rights_calendar load`` or in the admin);
2. ``chinesecalendar`` (holidays and make-up workdays of the State Council notices);
3. for a year ``chinesecalendar`` does not cover yet: the statutory holidays of the
   ``holidays`` package and weekends. Such a due date is flagged provisional, because make-up
   workdays are only known from the yearly notice.
"""

import datetime
from functools import lru_cache

import chinese_calendar
import holidays

from piwarden.rights.models import OfficialDay

BUSINESS_DAYS = 10  # the default of policy.selectors.rights_deadline_days()


@lru_cache(maxsize=64)
def _statutory(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.China(years=year))


def _chinesecalendar(day: datetime.date) -> bool | None:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def is_workday(day: datetime.date, official: dict | None = None) -> tuple[bool, bool]:
    """(is a workday, decided by the statutory fallback only)."""
    official = _official(day, day) if official is None else official
    if day in official:
        return official[day], False
    known = _chinesecalendar(day)
    if known is not None:
        return known, False
    return day.weekday() < 5 and day not in _statutory(day.year), True


def _official(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    return dict(OfficialDay.objects.filter(date__range=(start, end))
                .values_list("date", "is_workday"))


def due_date(received: datetime.date, days: int | None = None) -> tuple[datetime.date, bool]:
    """The ``days``-th workday after ``received`` and whether it is provisional; by default
    the deadline the published privacy policy promises (``BUSINESS_DAYS`` when none is)."""
    if days is None:
        from piwarden.policy.selectors import rights_deadline_days

        days = rights_deadline_days()
    # 10 business days never span more than ~40 calendar days, even across Spring Festival.
    official = _official(received, received + datetime.timedelta(days=days * 5))
    day, counted, provisional = received, 0, False
    while counted < days:
        day += datetime.timedelta(days=1)
        workday, fallback = is_workday(day, official)
        provisional = provisional or fallback
        counted += workday
    return day, provisional


def business_days_between(start: datetime.date, end: datetime.date) -> int:
    """Workdays after ``start`` up to and including ``end`` (0 when end <= start)."""
    official = _official(start, end)
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_workday(day, official)[0]
    return count
