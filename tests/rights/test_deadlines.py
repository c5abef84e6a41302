"""Due dates on the official PRC calendar (policy §IX: 10 business days)."""

import datetime

import pytest
from django.core.management import call_command

from piwarden.rights import deadlines

D = datetime.date
pytestmark = pytest.mark.django_db


def test_spring_festival_2026_with_make_up_saturdays():
    """Received Fri 2026-02-13 → due Thu 2026-03-05: Sat 14 and Sat 28 Feb are make-up
    workdays, 15-23 Feb the holiday; the day of receipt does not count."""
    assert deadlines.due_date(D(2026, 2, 13)) == (D(2026, 3, 5), False)


def test_national_day_2025_counts_the_make_up_sunday_and_saturday():
    """Received Fri 2025-09-26. Counted by hand from the State Council notice: Sun 28 Sep
    (make-up) 1, Mon 29 Sep 2, Tue 30 Sep 3, 1-8 Oct holiday, Thu 9 Oct 4, Fri 10 Oct 5,
    Sat 11 Oct (make-up) 6, Mon 13 Oct 7, Tue 14 8, Wed 15 9, Thu 16 Oct 10."""
    assert deadlines.is_workday(D(2025, 9, 28)) == (True, False)
    assert deadlines.is_workday(D(2025, 10, 11)) == (True, False)
    assert deadlines.is_workday(D(2025, 10, 8)) == (False, False)
    assert deadlines.due_date(D(2025, 9, 26)) == (D(2025, 10, 16), False)


def test_a_year_beyond_chinesecalendar_is_provisional():
    """2027 is not covered yet: weekends and the statutory holidays, flagged provisional."""
    due, provisional = deadlines.due_date(D(2027, 1, 29))
    # Spring Festival 2027 (statutory, holidays.China): 5-10 Feb are not counted.
    assert provisional is True
    assert due == D(2027, 2, 18)
    assert deadlines.is_workday(D(2027, 2, 8)) == (False, True)


def test_an_official_schedule_overrides_both(tmp_path):
    """The operator's loaded schedule wins over chinesecalendar and over the fallback."""
    path = tmp_path / "schedule.txt"
    path.write_text("# test notice\n2026-03-04 holiday\n2027-02-06 workday  # make-up\n")
    call_command("rights_calendar", "load", str(path))
    assert deadlines.due_date(D(2026, 2, 13)) == (D(2026, 3, 6), False)
    assert deadlines.is_workday(D(2027, 2, 6)) == (True, False)


def test_business_days_between():
    assert deadlines.business_days_between(D(2026, 2, 13), D(2026, 3, 5)) == 10
    assert deadlines.business_days_between(D(2026, 3, 5), D(2026, 3, 5)) == 0
