"""V-5.2: the evidence pack lists every control with its last test date and owner."""

import datetime

import pytest
from django.utils import timezone

from piwarden.audit.models import ChainCheck
from piwarden.incidents import evidence, services
from piwarden.roles import registry as roles

pytestmark = pytest.mark.django_db


def test_v_5_2_evidence_pack_lists_every_control_with_last_test_date_and_owner(officer):
    ChainCheck.objects.create(requested_by="tests", ok=True, checked=10,
                              finished_at=datetime.datetime(2026, 3, 1, 2, tzinfo=datetime.UTC))
    ChainCheck.objects.create(requested_by="tests", ok=False, checked=3,
                              finished_at=datetime.datetime(2026, 3, 2, 2, tzinfo=datetime.UTC))
    services.record_drill(actor=officer, held_on=datetime.date(2025, 1, 10),
                          scenario="API key leak", participants=4)
    pack = evidence.pack(today=datetime.date(2026, 3, 5))
    rows = {row["key"]: row for row in pack["controls"]}
    assert set(rows) == {control.key for control in evidence.controls()}
    for row in rows.values():
        owner = roles.get(row["owner"])
        assert (row["owner_en"], row["owner_zh"]) == (owner.name_en, owner.name_zh)
        assert row["name_en"] and row["name_zh"]
        assert "last_tested" in row
    assert (rows["audit.chain"]["last_tested"], rows["audit.chain"]["state"]) == (
        "2026-03-01", "tested")  # the failed check is no test passed
    assert (rows["incidents.drill"]["last_tested"], rows["incidents.drill"]["state"]) == (
        "2025-01-10", "overdue")
    assert (rows["operations.backup_restore"]["last_tested"],
            rows["operations.backup_restore"]["state"]) == (None, "never_tested")
    html = evidence.html(today=datetime.date(2026, 3, 5))
    assert "从未测试" in html and "Never tested" in html and "2026-03-01" in html
    assert "never_tested</td>" not in html  # words, not codes


def test_v_5_2_a_registered_control_appears_in_the_pack():
    control = evidence.Control("tests.control", "A test control", "测试控制", roles.LEGAL,
                               "A record", "记录", 30, lambda: timezone.now())
    evidence.register(control)
    try:
        rows = {row["key"]: row for row in evidence.pack()["controls"]}
        assert rows["tests.control"]["state"] == "tested"
        assert rows["tests.control"]["owner_en"] == "Legal"
    finally:
        evidence._CONTROLS.pop("tests.control")
