"""The staff API for transfer records, counters and holds (X-7.2): permission-checked,
refusals as 4xx JSON, every write through the services (audited)."""

import datetime

import pytest
from django.utils import timezone

from piwarden.audit.models import AuditEvent
from piwarden.sharing.models import Flow
from piwarden.transfers.models import Hold, YearCounter
from tests.staff import staff_client

from .conftest import NOTICE, STORAGE_FLOW

pytestmark = pytest.mark.django_db
BASE = "/api/v1/transfers"
ALL = ("view_transferrecord", "add_transferrecord", "change_transferrecord",
       "view_yearcounter", "view_hold", "change_hold")


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def _patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


@pytest.fixture
def storage_flow(registry_synced):
    return Flow.objects.get(activity=STORAGE_FLOW[0], recipient=STORAGE_FLOW[1])


def test_x_7_2_staff_record_a_contract_file_it_and_suspend_it(storage_flow):
    staff = staff_client("transfers", *ALL)
    today = timezone.localdate()
    created = _post(staff, f"{BASE}/records", {
        "flow": storage_flow.pk, "mechanism": "standard_contract", "important_data": "none",
        "reference": "SC-1", "effective_on": str(today - datetime.timedelta(days=3)),
        "valid_until": str(today + datetime.timedelta(days=365)), **NOTICE})
    assert created.status_code == 201, created.content
    record = created.json()
    assert (record["country"], record["recipient"]) == ("SG", "processor.data_storage")
    assert [p["code"] for p in record["problems"]] == ["MECHANISM_UNFILED"]
    assert record["filing_due"] is not None
    url = f"{BASE}/records/{record['id']}"
    filed = _post(staff, f"{url}/filing", {"reference": "SC-1-F", "filed_on": str(today)})
    assert (filed.status_code, filed.json()["problems"]) == (200, [])
    changed = _patch(staff, url, {"recipient_obligations": "Delete within 10 days."})
    assert [p["code"] for p in changed.json()["problems"]] == ["MECHANISM_UNFILED"]
    suspended = _post(staff, f"{url}/status", {"status": "suspended", "reason": "Review."})
    assert suspended.json()["status"] == "suspended"
    assert [r["id"] for r in staff.get(f"{BASE}/records", {"status": "suspended"}).json()] \
        == [record["id"]]
    assert staff.get(url).json()["reference"] == "SC-1-F"
    assert set(AuditEvent.objects.filter(action__startswith="transfers.").values_list(
        "action", flat=True)) == {"transfers.record_created", "transfers.contract_filed",
                                  "transfers.record_changed", "transfers.record_suspended"}


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"mechanism": "a_handshake"}, 422, "UNKNOWN_MECHANISM"),
    ({"mechanism": "exempt_contract"}, 422, "EXEMPTION_UNJUSTIFIED"),
    ({"mechanism": "standard_contract", "categories": ["user.id_info"]}, 422,
     "CATEGORIES_OUTSIDE_FLOW"),
    ({"mechanism": "standard_contract", "flow": 999_999}, 404, "UNKNOWN_FLOW"),
    ({"flow": "x"}, 422, None),
])
def test_x_7_2_bad_input_is_refused_as_json(storage_flow, body, status, code):
    staff = staff_client("transfers", *ALL)
    refused = _post(staff, f"{BASE}/records", {"flow": storage_flow.pk, **body})
    assert refused.status_code == status, refused.content
    if code:
        assert refused.json()["error"]["code"] == code


def test_x_7_2_a_domestic_flow_gets_no_record_and_a_second_record_conflicts(make_record):
    staff = staff_client("transfers", *ALL)
    domestic = Flow.objects.get(activity="sharing.processors", recipient="partner.business")
    refused = _post(staff, f"{BASE}/records", {"flow": domestic.pk,
                                               "mechanism": "standard_contract"})
    assert refused.json()["error"]["code"] == "NOT_CROSS_BORDER"
    record = make_record(*STORAGE_FLOW)
    again = _post(staff, f"{BASE}/records", {"flow": record.flow_id,
                                             "mechanism": "standard_contract"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "RECORD_EXISTS")
    bad = _post(staff, f"{BASE}/records/{record.pk}/filing", {
        "reference": "X", "filed_on": str(timezone.localdate() + datetime.timedelta(days=2))})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "DATE_IN_FUTURE")
    assert staff.get(f"{BASE}/records/999999").status_code == 404


def test_x_7_2_permissions_are_checked(make_record):
    record = make_record(*STORAGE_FLOW)
    viewer = staff_client("transfers", "view_transferrecord", name="viewer")
    assert viewer.get(f"{BASE}/records").status_code == 200
    for response in (_post(viewer, f"{BASE}/records/{record.pk}/status",
                           {"status": "suspended", "reason": "x"}),
                     viewer.get(f"{BASE}/counters"), viewer.get(f"{BASE}/holds")):
        assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")
    from django.test import Client

    assert Client().get(f"{BASE}/records").status_code == 401


def test_x_7_2_counters_show_the_limits_and_the_thresholds_source(registry_synced):
    from piwarden.transfers import guard

    YearCounter.objects.create(year=guard.this_year(), sensitive=False, people=12)
    data = staff_client("transfers", *ALL).get(f"{BASE}/counters").json()
    assert "2024-03-22" in data["source"]
    plain, sensitive = data["counters"]
    assert (plain["kind"], plain["people"]) == ("non_sensitive", 12)
    assert plain["limits"] == {"below_threshold": 99_999, "contract_or_certification": 999_999,
                               "security_assessment": None}
    assert (sensitive["people"], sensitive["limits"]["below_threshold"]) == (0, 0)
    assert {(t["kind"], t["from_person"], t["requires"]) for t in data["thresholds"]} >= {
        ("non_sensitive", 100_000, "contract_or_certification"),
        ("sensitive", 10_000, "security_assessment")}


def test_x_7_2_held_people_are_counted_never_listed_and_released(
        make_record, activate, person_with, system_actor, officer):
    from piwarden.sharing import services as sharing
    from piwarden.transfers import guard
    from piwarden.transfers import services as transfers

    record = make_record(*STORAGE_FLOW, mechanism="below_threshold", reference="",
                         effective_on=None, valid_until=None)
    flow = activate(*STORAGE_FLOW)
    YearCounter.objects.create(year=guard.this_year(), sensitive=False, people=99_999)
    people = [person_with(name=f"测试{i}", email=f"p{i}@example.cn") for i in range(2)]
    assert sharing.provide(actor=system_actor, flow=flow,
                           subject_ids=[p.pk for p in people])[0].provided == 0
    staff = staff_client("transfers", *ALL)
    listed = staff.get(f"{BASE}/holds", {"released": False}).json()
    assert [(h["people"], h["record"]) for h in listed] == [(2, record.pk)]
    assert str(people[0].pk) not in staff.get(f"{BASE}/holds").content.decode()
    record = transfers.update_record(actor=officer, record=record, mechanism="standard_contract",
                                     reference="SC-2", effective_on=timezone.localdate())
    transfers.record_filing(actor=officer, record=record, reference="SC-2",
                            filed_on=timezone.localdate())
    released = _post(staff, f"{BASE}/holds/{listed[0]['id']}/release")
    assert released.status_code == 200, released.content
    assert released.json()["provided"] == 2 and released.json()["download_url"]
    assert Hold.objects.get().released_at is not None
    again = _post(staff, f"{BASE}/holds/{listed[0]['id']}/release")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_RELEASED")
    assert staff.get(f"{BASE}/holds", {"released": False}).json() == []
