"""R-6.6 after the end date: collection, leads, consent grants and activations answer 410
GONE, and the clean-up report of the service's own data exists."""

import uuid

import pytest
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.clients import services as clients
from piwarden.collection.models import Event
from piwarden.consent import services as consent
from piwarden.leads.models import Lead
from piwarden.sites import services
from piwarden.sites.models import OfferingStatus
from tests.sites.conftest import in_days, offering, past_end

pytestmark = pytest.mark.django_db
EVENTS = "/api/v1/collection/events"
NOTICE = "We use your location to show nearby service points. You can withdraw at any time."


def _end(system_actor, function):
    item = services.sunset(actor=system_actor, offering=offering(function),
                           end_date=in_days(16))
    past_end(item)
    assert services.run_due(actor=system_actor)["ended"] == [item.pk]
    item.refresh_from_db()
    return item


def _event(kind, subject, **data):
    return {"event_id": uuid.uuid4().hex, "kind": kind, "subject": str(subject.pk),
            "occurred_at": timezone.now().isoformat(), "data": data}


@pytest.fixture
def collector(client, system_actor):
    _, key = clients.create_client(actor=system_actor, name=f"site-{uuid.uuid4()}",
                                   scopes=["collection:write"])
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return lambda events: client.post(EVENTS, {"events": events},
                                      content_type="application/json")


def _grant(subject, purpose):
    for scope in consent.applicable_scopes(purpose):
        consent.grant(actor=Actor.person(subject), subject=subject, purpose=purpose,
                      scope=scope, notice_text=NOTICE, channel="web")


def test_r_6_6_after_the_end_collection_answers_410_and_the_deletion_report_exists(
        system_actor, person, collector):
    _grant(person, "location.service")
    location = _event("location", person, latitude=31.230416, longitude=121.473701)
    assert collector([location]).json()["stored"] == 1
    ended = _end(system_actor, "nearby_service")

    response = collector([_event("location", person, latitude=31.2, longitude=121.4)])
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "GONE"
    mixed = collector([_event("location", person, latitude=31.2, longitude=121.4),
                       _event("page_view", person, url="https://example.cn/")])
    assert mixed.status_code == 200  # the other kinds are still collected
    assert [r.get("code") for r in mixed.json()["results"]] == ["GONE", None]

    report = services.clean_up(actor=system_actor, offering=ended)
    assert report["deleted"] == {"collection.events.location.precise": 1}
    assert report["purposes"] == ["location.service"]
    assert report["consent_states_kept"] >= 1  # evidence of the choices stays
    ended.refresh_from_db()
    assert ended.status == OfferingStatus.ENDED and ended.report == report
    assert not Event.objects.filter(latitude__isnull=False).exists()
    assert Event.objects.filter(kind="page_view").exists()


def test_r_6_6_after_the_end_the_leads_api_answers_410(system_actor, client):
    _end(system_actor, "callback")
    response = client.post("/api/v1/leads/", {
        "phone": "138 0013 8000", "contact_ok": True,
        "notice_version": consent.policy_version()}, content_type="application/json")
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "GONE"
    assert not Lead.objects.exists()


def test_r_6_6_an_ended_service_takes_no_new_consent_but_withdrawal_works(
        system_actor, person):
    _grant(person, "location.service")
    _end(system_actor, "nearby_service")
    scope = consent.applicable_scopes("location.service")[-1]
    with pytest.raises(consent.ConsentError) as refused:
        consent.grant(actor=Actor.person(person), subject=person, purpose="location.service",
                      scope=scope, notice_text=NOTICE, channel="web")
    assert (refused.value.code, refused.value.status) == ("GONE", 410)
    consent.withdraw(actor=Actor.person(person), subject=person, purpose="location.service",
                     scope=scope, notice_text=NOTICE, channel="web")


def test_r_6_6_an_ended_service_cannot_be_activated(system_actor, make_person):
    from piwarden.accounts import services as accounts
    from piwarden.accounts.errors import AccountError

    subject = make_person()
    _end(system_actor, "newsletter")
    with pytest.raises(AccountError) as refused:
        accounts.activate_service(account=subject.account, service="newsletter")
    assert (refused.value.code, refused.value.status) == ("GONE", 410)


def test_r_6_6_data_kept_by_law_is_not_cleaned_up(system_actor):
    from piwarden.sites import ownership

    owned = ownership.owned("callback")
    assert [kind.name for kind in owned.kinds] == ["leads.requests"]
    assert ownership.owned("invoicing").kinds == ()  # payment records: retention.legal


def test_a_service_still_running_keeps_the_guard_open(system_actor, person, collector):
    item = services.sunset(actor=system_actor, offering=offering("nearby_service"),
                           end_date=in_days(16))
    assert item.status == OfferingStatus.SUNSETTING
    _grant(person, "location.service")
    assert collector([_event("location", person, latitude=31.2, longitude=121.4)]
                     ).status_code == 200


def test_r_6_6_accept_all_on_the_banner_skips_an_ended_service_s_purpose(system_actor, person):
    _end(system_actor, "site_statistics")
    events = consent.record_banner_choice(
        actor=Actor.person(person), subject=person, action="accept_all", choices={},
        gpc=False, lang="en")
    granted = {e.purpose for e in events if e.choice == "grant"}
    assert "cookies.preferences" in granted and "cookies.analytics" not in granted
