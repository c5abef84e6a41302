"""The mechanisms' rules: thresholds as data, validity dates, filing deadlines (X-7.2)."""

import datetime
from pathlib import Path

import pytest

from piwarden.transfers import rules
from piwarden.transfers.models import TransferRecord

pytestmark = pytest.mark.django_db


def record(**values) -> TransferRecord:
    base = {"mechanism": "standard_contract", "important_data": "none", "reference": "SCC-1",
            "notice_zh": "行使权利", "notice_en": "Exercise rights"}
    return TransferRecord(**{**base, **values})


def test_x_7_2_thresholds_are_inclusive_and_read_from_data_with_their_source():
    """From the 100,000th non-sensitive person or the first sensitive one, a standard contract
    or certification; from the 1,000,000th or the 10,000th sensitive, an assessment."""
    found = rules.thresholds()
    assert "2024-03-22" in found.source
    assert found.limit(0, sensitive=False) == 99_999
    assert found.limit(0, sensitive=True) == 0
    assert found.limit(1, sensitive=False) == 999_999
    assert found.limit(1, sensitive=True) == 9_999
    assert found.limit(2, sensitive=False) == rules.UNLIMITED


def test_x_7_2_an_operator_updates_the_thresholds_file(settings, tmp_path):
    text = Path(settings.PIWARDEN_CATALOG_FILE.parent / "transfer-thresholds.yaml").read_text()
    changed = tmp_path / "thresholds.yaml"
    changed.write_text(text.replace("from_person: 100000", "from_person: 50000"))
    settings.PIWARDEN_TRANSFER_THRESHOLDS_FILE = str(changed)
    assert rules.thresholds().limit(0, sensitive=False) == 49_999


def test_x_7_2_a_security_assessment_lasts_three_years():
    approved = datetime.date(2024, 3, 1)
    found = record(mechanism="security_assessment", effective_on=approved)
    assert rules.expires_on(found) == datetime.date(2027, 2, 28)
    assert not rules.problems(found, datetime.date(2027, 2, 28))
    assert [code for code, _ in rules.problems(found, datetime.date(2027, 3, 1))] == \
        ["MECHANISM_EXPIRED"]


def test_x_7_2_a_standard_contract_is_filed_within_10_working_days():
    """Taking effect on Friday 25 September 2026, before the National Day holiday: ten
    working days run to 15 October (1-7 October are holidays, Saturday 10 October a make-up
    working day)."""
    found = record(effective_on=datetime.date(2026, 9, 25))
    due = rules.filing_due(found)
    assert due == datetime.date(2026, 10, 15)
    assert "MECHANISM_UNFILED" in [code for code, _ in rules.problems(found, due)]
    found.filed_on = due
    assert not rules.problems(found, due)


@pytest.mark.parametrize(("changes", "code"), [
    ({"important_data": "undeclared"}, "IMPORTANT_DATA_UNDECLARED"),
    ({"important_data": "involved", "filed_on": datetime.date(2026, 1, 5)},
     "SECURITY_ASSESSMENT_REQUIRED"),
    ({"notice_en": ""}, "ART39_NOTICE_MISSING"),
    ({"mechanism": "exempt_hr", "exemption_reason": ""}, "EXEMPTION_UNJUSTIFIED"),
    ({"reference": "", "filed_on": datetime.date(2026, 1, 5)}, "MECHANISM_UNFILED"),
])
def test_x_7_2_what_stops_a_record(changes, code):
    found = record(effective_on=datetime.date(2026, 1, 1), **changes)
    assert code in [c for c, _ in rules.problems(found, datetime.date(2026, 2, 1))]


def test_x_7_2_a_ciio_always_needs_an_assessment(settings):
    settings.PIWARDEN_CIIO = True
    found = record(effective_on=datetime.date(2026, 1, 1), filed_on=datetime.date(2026, 1, 5))
    assert "SECURITY_ASSESSMENT_REQUIRED" in [
        c for c, _ in rules.problems(found, datetime.date(2026, 2, 1))]


def test_x_7_2_exemptions_waive_the_limits_not_the_notice():
    found = record(mechanism="exempt_contract", exemption_reason="Orders placed abroad.",
                   notice_zh="")
    assert rules.limits(found) == (rules.UNLIMITED, rules.UNLIMITED)
    assert [c for c, _ in rules.problems(found, datetime.date(2026, 2, 1))] == \
        ["ART39_NOTICE_MISSING"]


def test_x_7_2_whether_exempt_transfers_count_is_data(settings, tmp_path):
    text = Path(settings.PIWARDEN_CATALOG_FILE.parent / "transfer-thresholds.yaml").read_text()
    exempt = record(mechanism="exempt_hr", exemption_reason="Payroll of staff abroad.")
    assert rules.counted(exempt) and rules.counted(record())
    changed = tmp_path / "thresholds.yaml"
    changed.write_text(text.replace("count_exempt: true", "count_exempt: false"))
    settings.PIWARDEN_TRANSFER_THRESHOLDS_FILE = str(changed)
    assert not rules.counted(exempt) and rules.counted(record())
