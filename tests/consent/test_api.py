import uuid

import pytest
from django.contrib.auth import get_user_model

from piwarden.audit.actors import Actor
from piwarden.clients import services as clients
from piwarden.consent import selectors, services
from piwarden.consent.models import ConsentEvent, Visitor

from .conftest import NOTICE

pytestmark = pytest.mark.django_db
BASE = "/api/v1/consent"


@pytest.fixture
def api(client, system_actor):
    def make(*scopes):
        _, key = clients.create_client(actor=system_actor, name=f"site-{uuid.uuid4()}",
                                       scopes=list(scopes))
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        return client
    return make


def test_batch_decisions(api, person):
    services.grant(actor=Actor.person(person), subject=person, purpose="survey",
                   notice_text=NOTICE, channel="web")
    response = api("consent:decide").post(f"{BASE}/decisions", {"items": [
        {"subject": str(person.pk), "purpose": "survey"},
        {"subject": str(person.pk), "purpose": "marketing.sms",
         "categories": ["user.contact.phone"]},
    ]}, content_type="application/json")
    assert response.status_code == 200
    assert [(r["allowed"], r["reason"]) for r in response.json()["results"]] == [
        (True, "consent_granted"), (False, "consent_missing")]


@pytest.mark.parametrize(("body", "code"), [
    ({"items": [{"subject": "x", "purpose": "survey"}]}, "INVALID_ITEMS"),
    ({"items": [{"subject": str(uuid.uuid4()), "purpose": "nope"}]}, "INVALID_ITEMS"),
    ({"items": []}, "VALIDATION_ERROR"),
    ({"wrong": 1}, "VALIDATION_ERROR"),
])
def test_bad_decision_requests_get_422(api, body, code):
    response = api("consent:decide").post(f"{BASE}/decisions", body,
                                          content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (422, code)


def test_decisions_need_the_scope(api, client):
    body = {"items": [{"subject": str(uuid.uuid4()), "purpose": "survey"}]}
    assert client.post(f"{BASE}/decisions", body, content_type="application/json"
                       ).status_code == 401
    assert api("catalog:read").post(f"{BASE}/decisions", body, content_type="application/json"
                                    ).status_code == 403


def test_site_records_a_choice_and_reads_history(api, person):
    site = api("consent:write", "consent:read")
    response = site.post(f"{BASE}/subjects/{person.pk}/events", {
        "purpose": "marketing.email", "choice": "grant", "notice_text": NOTICE,
        "ip": "203.0.113.77"}, content_type="application/json")
    assert response.status_code == 201, response.content
    event = ConsentEvent.objects.get(pk=response.json()["id"])
    assert (event.ip_prefix, event.channel, event.notice.text) == ("203.0.113.0/24", "api", NOTICE)
    history = site.get(f"{BASE}/subjects/{person.pk}/events").json()
    assert [e["choice"] for e in history] == ["grant"]
    bad = site.post(f"{BASE}/subjects/{person.pk}/events", {
        "purpose": "security", "choice": "grant", "notice_text": NOTICE},
        content_type="application/json")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "SCOPE_NOT_APPLICABLE")


def _login_as_person(client, subject):
    """A signed-in account holder, without depending on the accounts app's sign-up flow."""
    from piwarden.accounts.models import Account

    user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}", password=None)
    Account.objects.create(user=user, subject=subject)
    client.force_login(user)
    return client


def test_person_sees_and_changes_only_their_own_choices(client, person, make_subject):
    other = make_subject()
    services.grant(actor=Actor.person(other), subject=other, purpose="survey",
                   notice_text=NOTICE, channel="web")
    me = _login_as_person(client, person)
    rows = {(r["purpose"], r["scope"]): r for r in me.get(f"{BASE}/me/purposes").json()}
    assert rows[("survey", "general")]["state"] == "not_asked"
    assert rows[("cookies.advertising", "separate.third_party")]["disables"] == ["partner_ads"]
    granted = me.post(f"{BASE}/me/purposes", {"purpose": "survey", "choice": "grant"},
                      content_type="application/json")
    assert granted.status_code == 201
    withdrawn = me.post(f"{BASE}/me/purposes", {"purpose": "survey", "choice": "withdraw"},
                        content_type="application/json")
    assert withdrawn.status_code == 201
    assert withdrawn.json()["erasure_due"] is not None  # the answers are deleted (Art. 47)
    assert granted.json()["erasure_due"] is None
    assert [e["choice"] for e in me.get(f"{BASE}/me/events").json()] == ["withdraw", "grant"]
    functions = {f["key"]: f for f in me.get(f"{BASE}/me/functions").json()}
    assert functions["surveys"]["blocked_by"] == ["survey"]
    assert ConsentEvent.objects.filter(subject=other).count() == 1


def test_me_endpoints_need_a_person(client):
    assert client.get(f"{BASE}/me/purposes").status_code == 401
    assert client.post(f"{BASE}/me/purposes", {"purpose": "survey", "choice": "grant"},
                       content_type="application/json").status_code == 401


def _banner_body(**overrides):
    return {"visitor_id": str(uuid.uuid4()), "policy_version": services.policy_version(),
            "inventory": selectors.inventory_hash(), "action": "accept_all", **overrides}


def test_banner_accept_all_records_general_consent_only(client):
    body = _banner_body()
    response = client.post(f"{BASE}/banner/choices", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert sorted(response.json()["granted"]) == ["cookies.analytics", "cookies.preferences"]
    visitor = Visitor.objects.get(visitor_id=body["visitor_id"])
    events = ConsentEvent.objects.filter(subject=visitor.subject)
    assert {e.purpose for e in events} == {"cookies.analytics", "cookies.preferences"}
    assert all(e.bundled for e in events)


def test_banner_refuses_bundled_separate_and_stale_versions(client):
    bundled = client.post(f"{BASE}/banner/choices", _banner_body(
        choices={"advertising": True}), content_type="application/json")
    assert (bundled.status_code, bundled.json()["error"]["code"]) == (
        422, "SEPARATE_CONSENT_NOT_BUNDLED")
    stale = client.post(f"{BASE}/banner/choices", _banner_body(inventory="old"),
                        content_type="application/json")
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "STALE_BANNER")
    assert not ConsentEvent.objects.exists()


def test_banner_custom_choice_with_gpc_refuses_advertising(client):
    response = client.post(f"{BASE}/banner/choices", _banner_body(
        action="custom", choices={"analytics": True, "advertising": True}, gpc=True),
        content_type="application/json")
    assert response.json()["granted"] == ["cookies.analytics"]
    assert ConsentEvent.objects.get(purpose="cookies.advertising").choice == "refuse"


def test_banner_config_is_public_and_lists_the_inventory(client):
    config = client.get(f"{BASE}/banner/config", {"lang": "zh-hans"}).json()
    categories = {c["key"]: c for c in config["categories"]}
    assert categories["necessary"]["required"] and categories["advertising"]["separate"]
    assert "adp_uid" in {i["name"] for i in categories["advertising"]["items"]}
    assert config["lang"] == "zh-hans"


def test_site_records_a_batch_of_choices_each_on_its_own(api, person, make_subject):
    from piwarden.audit.models import AuditEvent
    from piwarden.consent.decisions import decide

    other = make_subject()
    services.grant(actor=Actor.person(other), subject=other, purpose="survey",
                   notice_text=NOTICE, channel="web")
    audits_before = AuditEvent.objects.filter(action__startswith="consent.").count()
    response = api("consent:write").post(f"{BASE}/events", {"items": [
        {"subject": str(person.pk), "purpose": "marketing.email", "choice": "grant",
         "notice_text": NOTICE, "ip": "203.0.113.77"},
        {"subject": str(other.pk), "purpose": "survey", "choice": "withdraw",
         "notice_text": NOTICE},
        {"subject": str(person.pk), "purpose": "security", "choice": "grant",
         "notice_text": NOTICE},
        {"subject": str(uuid.uuid4()), "purpose": "survey", "choice": "grant",
         "notice_text": NOTICE},
        {"subject": str(person.pk), "purpose": "marketing.email", "choice": "withdraw",
         "notice_text": NOTICE},
    ]}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["recorded"], body["refused"]) == (2, 3)
    assert [(r["status"], r["code"]) for r in body["results"]] == [
        ("recorded", None), ("recorded", None), ("refused", "SCOPE_NOT_APPLICABLE"),
        ("refused", "UNKNOWN_SUBJECT"), ("refused", "DUPLICATE_IN_BATCH")]
    assert body["results"][1]["erasure_due"]  # the withdrawal scheduled an Art. 47 erasure
    assert decide(person.pk, "marketing.email").allowed
    assert not decide(other.pk, "survey").allowed
    assert ConsentEvent.objects.get(pk=body["results"][0]["event"]).ip_prefix == "203.0.113.0/24"
    assert AuditEvent.objects.filter(action__startswith="consent.").count() == audits_before + 2


def test_batch_choices_need_the_write_scope(api, person):
    body = {"items": [{"subject": str(person.pk), "purpose": "survey", "choice": "grant",
                       "notice_text": NOTICE}]}
    response = api("consent:read").post(f"{BASE}/events", body, content_type="application/json")
    assert response.status_code == 403
    assert not ConsentEvent.objects.filter(subject=person).exists()
