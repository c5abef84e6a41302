"""The staff API: the incident's steps, refusals as 4xx JSON, permissions, packs."""

import base64

import pytest

from tests.staff import staff_client

from .conftest import ELEMENTS

pytestmark = pytest.mark.django_db
BASE = "/api/v1/incidents"
ALL = ("view_incident", "add_incident", "change_incident", "close_incident", "export_incident",
       "add_regulatorsubmission", "add_progressupdate", "add_drill", "view_drill")


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_v_5_3a_staff_run_an_incident_through_the_api():
    staff = staff_client("incidents", *ALL)
    created = _post(staff, f"{BASE}/", {
        "title": "Backup disk lost", "severity": "major", "principal_kind": "store",
        "principal_id": "incidents.affected", **ELEMENTS})
    assert created.status_code == 201, created.content
    incident = created.json()
    assert (incident["status"], incident["rule_set"]) == ("open", "operator")
    url = f"{BASE}/{incident['id']}"
    assert _post(staff, f"{url}/scope").status_code == 200
    refused = _post(staff, f"{url}/close")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "DECISION_MISSING")
    refused = _post(staff, f"{url}/decision", {"notify": False})
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        422, "JUSTIFICATION_REQUIRED")
    assert _post(staff, f"{url}/decision", {
        "notify": False, "justification": "Disk encrypted; key held apart."}).status_code == 200
    refused = _post(staff, f"{url}/close")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "REPORT_MISSING")
    receipt = base64.b64encode(b"%PDF-1.4 receipt").decode()
    submitted = _post(staff, f"{url}/submissions", {
        "authority": "北京市网信办", "submitted_at": "2026-03-01T15:00:00+08:00",
        "reference": "BJ-1", "receipt_base64": receipt})
    assert submitted.status_code == 201, submitted.content
    assert len(submitted.json()["receipt_sha256"]) == 64
    closed = _post(staff, f"{url}/close")
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    pack = staff.get(f"{url}/pack").json()
    assert pack["submissions"][0]["reference"] == "BJ-1"
    assert pack["notification"]["decision"] == "not_notify"
    html = staff.get(f"{url}/pack.html")
    assert html.status_code == 200 and "重大" in html.content.decode()


def test_v_5_2_evidence_pack_from_the_api():
    staff = staff_client("incidents", "export_incident")
    body = staff.get(f"{BASE}/evidence").json()
    assert {row["key"] for row in body["controls"]} >= {"audit.chain", "incidents.drill"}
    assert "合规证据包" in staff.get(f"{BASE}/evidence.html").content.decode()


def test_incident_api_needs_staff_and_permissions(client):
    assert client.get(f"{BASE}/").status_code == 401
    reader = staff_client("incidents", "view_incident", name="reader")
    assert reader.get(f"{BASE}/").status_code == 200
    refused = _post(reader, f"{BASE}/", {"title": "x", "severity": "general",
                                         "principal_kind": "store", "principal_id": "x"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert reader.get(f"{BASE}/evidence").status_code == 403


def test_drills_are_recorded_and_listed():
    staff = staff_client("incidents", *ALL)
    assert _post(staff, f"{BASE}/drills", {"held_on": "2026-02-01", "scenario": "Key leak",
                                           "participants": 5}).status_code == 201
    assert [d["scenario"] for d in staff.get(f"{BASE}/drills").json()] == ["Key leak"]
    bad = _post(staff, f"{BASE}/drills", {"held_on": "2026-02-01", "scenario": "x",
                                          "participants": 0})
    assert bad.status_code == 422


def test_v_5_3a_scope_and_edit_through_the_api(make_incident):
    staff = staff_client("incidents", *ALL)
    incident = make_incident(principal_kind="store", principal_id="incidents.affected",
                             occurred_from=None, occurred_to=None)
    url = f"{BASE}/{incident.pk}"
    changed = staff.patch(url, {"severity": "major", "advice_en": "Change your password."},
                          content_type="application/json")
    assert (changed.status_code, changed.json()["severity"]) == (200, "major")
    bad = staff.patch(url, {"title": None}, content_type="application/json")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "FIELDS_INVALID")
    assert _post(staff, f"{url}/scope").json()["people_count"] == 0
    assert staff.get(f"{url}/affected").json() == []
    refused = _post(staff, f"{url}/notice")  # nobody found: no categories to name
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "ELEMENT_MISSING")
    assert "zh-hans:categories" in refused.json()["error"]["detail"]["missing"]
