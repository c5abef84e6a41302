"""The done-when example: "API key K leaked 10:00-14:00" lists exactly the people whose PI K
read or changed through the real API, and drafts complete notices to them."""

import uuid

import pytest

from piwarden.audit.models import AuditEvent
from piwarden.catalog.models import DataCategory
from piwarden.clients import services as clients
from piwarden.incidents import notices, packs, services
from piwarden.incidents.models import AffectedPerson
from piwarden.notify import templates
from piwarden.notify.models import Campaign, CampaignStatus
from piwarden.notify.services import start

from .conftest import ELEMENTS, at

pytestmark = pytest.mark.django_db
NOTICE = "We would like to e-mail you product news. You can withdraw at any time."


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """Consent writes read cached decisions: none may outlive a test's rollback."""


@pytest.fixture
def key(client, system_actor):
    """An API key as the website's back-end holds it: its client, and a Django test client
    that sends it."""
    from django.test import Client

    def make():
        api_client, secret = clients.create_client(
            actor=system_actor, name=f"site-{uuid.uuid4()}",
            scopes=["consent:write", "consent:read"])
        http = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return api_client, http
    return make


def _write(http, person):
    response = http.post(f"/api/v1/consent/subjects/{person.pk}/events",
                         {"purpose": "marketing.email", "choice": "grant",
                          "notice_text": NOTICE}, content_type="application/json")
    assert response.status_code == 201, response.content


def _read(http, person):
    response = http.get(f"/api/v1/consent/subjects/{person.pk}/events")
    assert response.status_code == 200, response.content


@pytest.fixture
def leak(key, make_subject, clock):
    """K changes people 1 and 2 and reads 3 between 10:00 and 14:00; another key reads 4 in
    the window; K reads 5 at 15:00 and changes 6 at 09:59."""
    (k, http_k), (_other, http_o) = key(), key()
    people = [make_subject() for _ in range(6)]
    for when, http, action, person in [
            (at(1, 9, 59), http_k, _write, people[5]),
            (at(1, 10), http_k, _write, people[0]),
            (at(1, 11), http_k, _write, people[1]),
            (at(1, 12), http_o, _read, people[3]),
            (at(1, 14), http_k, _read, people[2]),
            (at(1, 15), http_k, _read, people[4])]:
        clock.set(when)
        action(http, person)
    clock.set(at(1, 14, 30))
    return k, people


def test_v_5_3a_key_k_leaked_lists_exactly_the_people_it_read_or_changed(leak, make_incident,
                                                                         officer):
    k, people = leak
    incident = make_incident(principal_id=str(k.pk))
    incident = services.scope_incident(actor=officer, incident=incident)
    found = {str(row.subject_id): row for row in AffectedPerson.objects.filter(incident=incident)}
    assert set(found) == {str(p.pk) for p in people[:3]}
    assert [(found[str(p.pk)].read, found[str(p.pk)].changed) for p in people[:3]] == [
        (False, True), (False, True), (True, False)]
    assert "user.consent" in found[str(people[2].pk)].categories
    assert incident.people_count == 3
    assert incident.category_counts["user.consent"] >= 1
    record = AuditEvent.objects.get(action="incidents.affected_listed")
    assert record.detail["touched"]["count"] == 3  # the people concerned, named in the trail
    again = services.scope_incident(actor=officer, incident=incident)
    assert again.people_count == AffectedPerson.objects.filter(incident=incident).count() == 3


def test_v_5_3a_drafts_a_complete_notice_to_the_people_found(leak, make_incident, officer):
    k, people = leak
    incident = services.scope_incident(actor=officer,
                                       incident=make_incident(principal_id=str(k.pk)))
    campaign = services.draft_notice(actor=officer, incident=incident)
    assert (campaign.kind, campaign.template, campaign.audience) == (
        "incident", "incident.art57", "incident.affected")
    assert templates.missing(templates.get(campaign.template), campaign.fields) == []
    for lang, suffix in (("zh-hans", ""), ("en", "_en")):
        text = templates.render(templates.get(campaign.template), campaign.fields, lang)["body"]
        for name in ("cause", "possible_harm", "measures_taken", "advice", "remedies",
                     "contact"):
            assert ELEMENTS[f"{name}{suffix}"] in text
    consent = DataCategory.objects.get(key="user.consent")
    assert consent.name_zh in campaign.fields["zh-hans"]["categories"]
    assert consent.name_en in campaign.fields["en"]["categories"]
    assert "user.consent" not in campaign.fields["en"]["categories"]  # words, not codes
    audience = notices.audience({"incident": incident.pk})
    assert {str(s) for s in audience} == {str(p.pk) for p in people[:3]}


def test_v_5_3a_a_notice_with_an_empty_element_is_not_drafted(leak, make_incident, officer):
    k, _people = leak
    incident = services.scope_incident(
        actor=officer, incident=make_incident(principal_id=str(k.pk), advice_en=""))
    with pytest.raises(services.IncidentError) as refused:
        services.draft_notice(actor=officer, incident=incident)
    assert (refused.value.code, refused.value.detail) == ("ELEMENT_MISSING",
                                                          {"missing": ["en:advice"]})
    assert not Campaign.objects.exists()


def test_v_5_3a_closes_once_notice_started_and_report_recorded(leak, make_incident, officer):
    k, _people = leak
    incident = services.scope_incident(actor=officer,
                                       incident=make_incident(principal_id=str(k.pk)))
    services.decide_notification(actor=officer, incident=incident, notify=True)
    campaign = services.draft_notice(actor=officer, incident=incident)
    services.submit_report(actor=officer, incident=incident, authority="省网信办",
                           submitted_at=at(1, 16))
    with pytest.raises(services.IncidentError) as refused:
        services.close(actor=officer, incident=incident)
    assert refused.value.code == "NOTICE_NOT_SENT"
    assert start(actor=officer, campaign=campaign).status == CampaignStatus.SENDING
    with pytest.raises(services.IncidentError) as refused:
        services.draft_notice(actor=officer, incident=incident)
    assert refused.value.code == "NOTICE_STARTED"
    assert services.close(actor=officer, incident=incident).status == "closed"


def test_v_5_3b_pack_holds_categories_cause_harm_measures_contact_counts_timeline(
        leak, make_incident, officer):
    k, _people = leak
    incident = services.scope_incident(actor=officer,
                                       incident=make_incident(principal_id=str(k.pk)))
    services.submit_report(actor=officer, incident=incident, authority="省网信办",
                           submitted_at=at(1, 16), reference="R-9")
    pack = packs.regulator_pack(incident)
    assert pack["severity"] == {"key": "serious", "zh": "较大", "en": "Serious"}
    assert "user.consent" in {c["key"] for c in pack["categories"]}
    assert all(c["zh"] and c["en"] for c in pack["categories"])
    for name in ("cause", "possible_harm", "measures_taken", "contact"):
        assert pack[name] == {"zh": ELEMENTS[name], "en": ELEMENTS[f"{name}_en"]}
    assert pack["counts"]["people"] == 3
    assert pack["counts"]["people_with_sensitive_pi"] + pack["counts"][
        "people_without_sensitive_pi"] == 3
    assert [e["kind"] for e in pack["timeline"]] == ["created", "scoped", "reported"]
    assert pack["submissions"][0]["reference"] == "R-9"
    html = packs.regulator_html(incident)
    for text in ("较大", ELEMENTS["cause"], ELEMENTS["contact_en"], "R-9", "2026-03-01 16:00"):
        assert text in html
    assert str(_people[0].pk) not in html  # counts, never the people
