"""The staff API: the whole workflow, refusals as 4xx JSON, permissions."""

import base64

import pytest
from django.test import Client

from piwarden.audit.models import AuditEvent
from piwarden.roles import registry
from tests.roles.factories import grant_role
from tests.staff import staff_client

from .conftest import PDF

pytestmark = pytest.mark.django_db
BASE = "/api/v1/authorities"
ALL = ("view_authorityrequest", "add_authorityrequest", "change_authorityrequest",
       "review_authorityrequest", "approve_authorityrequest", "deliver_authorityrequest",
       "open_document")


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def clients(system_actor):
    made = {name: staff_client("authorities", *ALL, name=f"api_{name}")
            for name in ("clerk", "lawyer", "approver1", "approver2")}
    grant_role(made["lawyer"].user, registry.LEGAL, actor=system_actor)
    return made


def test_s_4_1_1b_the_legal_team_runs_a_request_through_the_api(
        flows, clients, person_with):
    person = person_with(name="王小明")
    bases = clients["clerk"].get(f"{BASE}/bases").json()
    assert {b["key"] for b in bases} >= {"legal_obligation", "emergency"}
    assert all(b["key"] not in ("consent", "contract") for b in bases)
    created = _post(clients["clerk"], f"{BASE}/", {
        "organ_name": "上海市浦东新区人民法院", "organ_country": "CN", "organ_kind": "court",
        "document_reference": "(2026) 沪0115 民初 1 号", "legal_basis": "legal_obligation",
        "subject_ids": [str(person.pk)], "categories": ["user.name"]})
    assert created.status_code == 201, created.content
    url = f"{BASE}/{created.json()['id']}"
    refused = _post(clients["approver1"], f"{url}/approve")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "WRONG_STATE")
    refused = _post(clients["lawyer"], f"{url}/review", {
        "subject_ids": [str(person.pk)], "categories": ["user.name"], "notes": "ok"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "DOCUMENT_MISSING")
    bad = _post(clients["clerk"], f"{url}/document", {"content_base64": "not base64!"})
    assert bad.status_code == 422
    uploaded = _post(clients["clerk"], f"{url}/document",
                     {"content_base64": base64.b64encode(PDF).decode()})
    assert uploaded.status_code == 200 and uploaded.json()["document_sha256"]
    opened = clients["lawyer"].get(f"{url}/document")
    assert opened.content == PDF and opened["Cache-Control"] == "no-store"
    reviewed = _post(clients["lawyer"], f"{url}/review", {
        "subject_ids": [str(person.pk)], "categories": ["user.name"], "notes": "Name only."})
    assert reviewed.json()["state"] == "reviewed", reviewed.content
    refused = _post(clients["clerk"], f"{url}/approve")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403,
                                                                      "APPROVER_IS_ENTERER")
    assert _post(clients["approver1"], f"{url}/approve").json()["state"] == "reviewed"
    assert _post(clients["approver2"], f"{url}/approve").json()["state"] == "approved"
    delivered = _post(clients["approver1"], f"{url}/deliver")
    assert delivered.status_code == 200, delivered.content
    body = delivered.json()
    assert body["request"]["state"] == "delivered" and body["request"]["notice_campaign"]
    link = body["download_url"]
    assert "/api/v1/sharing/packages/" in link
    fetched = Client().get(link[link.index("/api/"):])
    assert fetched.status_code == 200 and "王小明" in fetched.content.decode()
    assert clients["clerk"].get(url).json()["downloads"] == 1
    again = clients["clerk"].get(url).json()
    assert "download_url" not in again and link.rsplit("/", 1)[-1] not in str(again)
    assert AuditEvent.objects.filter(action__startswith="authorities.").count() >= 7


def test_s_4_1_1c_an_emergency_without_justification_is_a_422(flows, clients, person_with):
    answer = _post(clients["clerk"], f"{BASE}/", {
        "organ_name": "某市公安局", "organ_country": "CN", "organ_kind": "police",
        "document_reference": "紧急 1 号", "legal_basis": "emergency",
        "subject_ids": [str(person_with(name="李雷").pk)]})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "JUSTIFICATION_REQUIRED"
    answer = _post(clients["clerk"], f"{BASE}/", {
        "organ_name": "某公司", "organ_country": "CN", "organ_kind": "other",
        "document_reference": "x", "legal_basis": "company_interest"})
    assert answer.json()["error"]["code"] == "BASIS_NOT_ALLOWED"


def test_s_4_1_1b_a_foreign_order_is_refused_with_its_reason(flows, clients):
    answer = _post(clients["clerk"], f"{BASE}/", {
        "organ_name": "District Court", "organ_country": "US", "organ_kind": "court",
        "document_reference": "Case 26-1", "legal_basis": "legal_obligation"})
    assert answer.status_code == 201
    assert answer.json()["state"] == "refused" and "Art. 41" in answer.json()["refusal_reason"]


def test_s_4_1_1b_staff_without_the_permission_get_403(flows, clients, approved, person_with):
    request = approved([person_with(name="韩梅梅")])
    outsider = staff_client("authorities", name="outsider")
    url = f"{BASE}/{request.pk}"
    for method, path in (("get", url), ("get", f"{url}/document"), ("post", f"{url}/deliver"),
                         ("post", f"{url}/approve"), ("get", f"{BASE}/")):
        answer = getattr(outsider, method)(path, content_type="application/json")
        assert answer.status_code == 403, path
        assert answer.json()["error"]["code"] == "FORBIDDEN"
    assert Client().get(url).status_code == 401
    reviewer = staff_client("authorities", "review_authorityrequest", name="not_legal")
    answer = _post(reviewer, f"{url}/review", {"subject_ids": [], "categories": [],
                                               "notes": "x"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "LEGAL_ROLE_REQUIRED")


def test_s_4_1_1b_the_plain_sharing_api_cannot_provide_to_an_authority(flows, person_with):
    sharer = staff_client("sharing", "provide", name="sharer")
    for flow in flows.values():
        answer = _post(sharer, f"/api/v1/sharing/flows/{flow.pk}/provisions",
                       {"subjects": [str(person_with(name="张三").pk)]})
        assert answer.status_code == 403, answer.content
        assert answer.json()["error"]["code"] == "AUTHORITY_REQUEST_REQUIRED"


def test_s_4_1_1b_reading_requests_names_their_people_in_the_audit_trail(
        flows, clients, approved, person_with):
    """The list and the detail hand over who was asked for: one read record names them."""
    from piwarden.audit.models import AuditEvent

    person = person_with(name="钱七")
    request = approved([person])
    assert clients["clerk"].get(f"{BASE}/").status_code == 200
    assert clients["clerk"].get(f"{BASE}/{request.pk}").status_code == 200
    reads = AuditEvent.objects.filter(action="authorities.read")
    assert reads.count() == 2
    assert all(person.pk in set(r.touched.values_list("subject_id", flat=True)) for r in reads)
