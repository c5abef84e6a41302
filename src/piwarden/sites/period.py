"""The notice period of a discontinuation (R-6.6): whole days, counted in China time."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

CHINA = ZoneInfo("Asia/Shanghai")
MIN_NOTICE_DAYS = 15  # the policy's own commitment (§6.6); a setting can only lengthen it


def notice_days() -> int:
    return max(MIN_NOTICE_DAYS, int(getattr(settings, "PIWARDEN_SUNSET_NOTICE_DAYS",
                                            MIN_NOTICE_DAYS)))


def closing_moment(end_date: datetime.date) -> datetime.datetime:
    """The end date is the first day without the service: it closes at 00:00 China time."""
    return datetime.datetime.combine(end_date, datetime.time(), tzinfo=CHINA)


def earliest_end_date(notice_at: datetime.datetime) -> datetime.date:
    """The first end date whose closing is at least ``notice_days()`` whole days after the
    notice (a notice at 09:00 on the 1st allows the 17th, not the 16th)."""
    local = (notice_at + datetime.timedelta(days=notice_days())).astimezone(CHINA)
    return local.date() if local.time() == datetime.time() else local.date() + \
        datetime.timedelta(days=1)
