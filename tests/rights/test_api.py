"""The rights API: the person's own requests, and staff / back-ends with rights scopes."""

import pytest
from django.test import Client

from piwarden.audit.actors import Actor
from piwarden.clients.services import create_client
from piwarden.consent.services import policy_version
from piwarden.rights.models import RequestStatus, RightsRequest
from tests.rights.conftest import PASSWORD

pytestmark = pytest.mark.django_db
BASE = "/api/v1/rights"


def _token(account) -> str:
    client = Client()
    client.post("/api/v1/account/login", {"identifier": account.test_phone,
                                          "password": PASSWORD}, content_type="application/json")
    response = client.post("/api/v1/account/tokens", {"name": "rights-test"},
                           content_type="application/json")
    token = response.json()["token"]
    # a token re-authenticates on its own before anything needs a fresh check
    assert _post("/api/v1/account/reauth", {"password": PASSWORD}, token).status_code == 200
    return token


def _client_key(*scopes) -> str:
    from django.db import transaction

    with transaction.atomic():
        _client, key = create_client(actor=Actor.system("tests"), name=f"site-{scopes}",
                                     scopes=list(scopes))
    return key


def _post(path, body, key):
    return Client().post(path, body, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}")


def test_person_api_needs_a_fresh_check_and_sees_only_their_own(sign_up,
                                                                django_capture_on_commit_callbacks):
    owner, other = sign_up(), sign_up()
    token = _token(owner)
    body = {"type": "complaint", "text": "Too many calls.", "notice_version": policy_version()}
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(f"{BASE}/me/requests", body, token)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "in_progress" and data["due_date"]
    assert _post(f"{BASE}/me/requests", {**body, "notice_version": None},
                 token).status_code == 422
    listed = Client().get(f"{BASE}/me/requests", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert [r["id"] for r in listed] == [data["id"]]
    other_token = _token(other)
    assert Client().get(f"{BASE}/me/requests/{data['id']}",
                        HTTP_AUTHORIZATION=f"Bearer {other_token}").status_code == 404
    assert _post(f"{BASE}/me/requests/{data['id']}/withdraw", {},
                 other_token).status_code == 404
    assert Client().get(f"{BASE}/me/requests").status_code == 401


def test_a_stale_token_must_reauthenticate(account):
    from piwarden.accounts.models import AccessToken

    token = _token(account)
    AccessToken.objects.filter(account=account).update(reauth_at=None)
    response = _post(f"{BASE}/me/requests", {"type": "access",
                                             "notice_version": policy_version()}, token)
    assert response.status_code == 403 and response.json()["error"]["code"] == "REAUTH_REQUIRED"
    assert not RightsRequest.objects.exists()


def test_back_end_submits_and_staff_verify_refuse(account, django_capture_on_commit_callbacks):
    reader, writer = _client_key("rights:read"), _client_key("rights:read", "rights:write")
    body = {"subject": str(account.subject_id), "type": "explanation", "text": "Why?",
            "notice_version": policy_version()}
    assert _post(f"{BASE}/requests", body, reader).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(f"{BASE}/requests", body, writer)
    assert created.status_code == 201
    rid = created.json()["id"]
    assert created.json()["status"] == RequestStatus.RECEIVED  # not verified: nothing done
    no_reason = _post(f"{BASE}/requests/{rid}/refuse", {"text": " "}, writer)
    assert no_reason.status_code == 400
    assert no_reason.json()["error"]["code"] == "REASON_REQUIRED"
    evidence = _post(f"{BASE}/requests/{rid}/require-evidence",
                     {"text": "Reply from the e-mail address you signed up with."}, writer)
    assert evidence.json()["status"] == "verifying"
    verified = _post(f"{BASE}/requests/{rid}/verify", {}, writer)
    assert verified.json()["status"] == "in_progress"
    answered = _post(f"{BASE}/requests/{rid}/answer", {"text": "Because of §2.1."}, writer)
    assert answered.json()["status"] == "completed"
    listed = Client().get(f"{BASE}/requests?subject={account.subject_id}",
                          HTTP_AUTHORIZATION=f"Bearer {reader}").json()
    assert [r["id"] for r in listed] == [rid]
    assert [e["status_to"] for e in listed[0]["events"]] == [
        "received", "verifying", "verified", "in_progress", "completed"]


def test_bad_input_is_a_4xx_with_a_code(account):
    writer = _client_key("rights:write")
    base = {"subject": str(account.subject_id), "notice_version": policy_version()}
    cases = [({**base, "type": "teleport"}, "VALIDATION_ERROR"),
             ({**base, "type": "deletion", "categories": ["no.such"]}, "CATEGORY_UNKNOWN"),
             ({**base, "type": "withdrawal", "purpose": "nope"}, "PURPOSE_UNKNOWN"),
             ({**base, "type": "correction", "field": "password", "text": "x"}, "FIELD_UNKNOWN")]
    for body, code in cases:
        response = _post(f"{BASE}/requests", body, writer)
        assert 400 <= response.status_code < 500 and response.json()["error"]["code"] == code
    missing = _post(f"{BASE}/requests", {**base, "type": "access",
                                         "subject": "7d9c1f7e-0000-4000-8000-000000000000"},
                    writer)
    assert missing.status_code == 404


def test_portability_through_the_api_ends_with_the_download_link(
        account, django_capture_on_commit_callbacks):
    from tests.rights.conftest import run_engine

    token = _token(account)
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(f"{BASE}/me/requests", {"type": "portability", "lang": "zh-hans",
                                                "notice_version": policy_version()}, token)
    req = RightsRequest.objects.get(pk=created.json()["id"])
    assert created.json()["export_url"] is None  # nothing to download before it is ready
    run_engine(django_capture_on_commit_callbacks, req)
    data = Client().get(f"{BASE}/me/requests/{req.pk}",
                        HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert data["status"] == "completed"
    assert data["export_url"] == f"/privacy/data/exports/{req.export_archive_id}/"


def test_v_5_3a_a_back_end_reading_requests_is_recorded_with_the_people_it_got(
        account, django_capture_on_commit_callbacks):
    """V-5.3a: a key that reads other people's requests is named with each of them in the
    audit trail, so an incident about that key can scope whom it read."""
    from piwarden.audit import scoping
    from piwarden.audit.models import AuditEvent
    from piwarden.clients.models import ApiClient

    reader, writer = _client_key("rights:read"), _client_key("rights:read", "rights:write")
    body = {"subject": str(account.subject_id), "type": "explanation", "text": "Why?",
            "notice_version": policy_version()}
    with django_capture_on_commit_callbacks(execute=True):
        rid = _post(f"{BASE}/requests", body, writer).json()["id"]
    before = AuditEvent.objects.count()
    Client().get(f"{BASE}/requests", HTTP_AUTHORIZATION=f"Bearer {reader}")
    Client().get(f"{BASE}/requests/{rid}", HTTP_AUTHORIZATION=f"Bearer {reader}")
    reads = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [r.action for r in reads] == ["rights.requests_read", "rights.request_read"]
    client = ApiClient.objects.get(name="site-('rights:read',)")
    found = scoping.scope(actor_kind="api_client", actor_id=str(client.pk),
                          start=reads[0].occurred_at, end=reads[-1].occurred_at)
    assert set(found.people) == {str(account.subject_id)}
    assert found.read == {str(account.subject_id)}
