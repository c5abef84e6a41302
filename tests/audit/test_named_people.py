"""Batch writers and PI-returning reads name everyone they touched (V-5.3a): the audit record
of each lists its people in child rows, and impact scoping finds them."""
# ruff: noqa: F811  (the sharing and partners fixtures are imported, then asked for by name)

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from piwarden.audit import scoping
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.clients import services as clients
from tests.partners.conftest import (  # noqa: F401  (fixtures)
    _fresh_decision_cache,
    make_partner,
    record,
    submit,
)
from tests.sharing.conftest import (  # noqa: F401
    _sharing_dir,
    activate,
    named_catalog,
    person_with,
    registry_synced,
)

pytestmark = pytest.mark.django_db


def _named(event) -> set:
    return set(event.touched.values_list("subject_id", flat=True))


def _last(action) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).last()


def _around_now():
    now = timezone.now()
    return now - timedelta(minutes=5), now + timedelta(minutes=5)


def test_v_5_3a_provision_and_its_download_name_the_people_provided(
        activate, person_with, system_actor):
    from piwarden.sharing import services

    flow = activate("sharing.processors", "partner.business")
    people = [person_with(name=f"用户{i}", email=f"u{i}@example.cn") for i in range(3)]
    provision, token = services.provide(actor=system_actor, flow=flow,
                                        subject_ids=[p.pk for p in people])
    expected = {p.pk for p in people}
    assert _named(_last("sharing.provided")) == expected
    services.open_download(token=token)
    assert _named(_last("sharing.package_downloaded")) == expected
    start, end = _around_now()
    found = scoping.scope(actor_kind="system", actor_id="recipient.partner.business",
                          start=start, end=end)
    assert set(found.people) == {str(p) for p in expected} == found.read
    assert all("user.name" in categories for categories in found.people.values())
    resolve = scoping._resolved_types()["sharing.provision"]
    assert set(resolve([str(provision.pk)])[str(provision.pk)]) == expected


def test_v_5_3a_partner_batch_and_record_read_name_their_people(make_partner):
    from piwarden.partners.models import ImportBatch, PartnerRecord

    http = make_partner()
    submit(http, [record("n-1", phone="13800000021"), record("n-2", email="n2@example.cn"),
                  {"external_id": "n-3", "phone": "13800000022"}])
    stored = set(PartnerRecord.objects.values_list("subject_id", flat=True))
    assert len(stored) == 2
    batch_record = _last("partners.batch_imported")
    assert _named(batch_record) == stored
    response = http.get("/api/v1/partners/records/n-1")
    assert response.status_code == 200, response.content
    read = _last("partners.record_read")
    one = PartnerRecord.objects.get(external_id="n-1")
    assert _named(read) == {one.subject_id} and read.actor_kind == "api_client"
    assert "13800000021" not in str(read.detail)
    start, end = _around_now()
    found = scoping.scope(actor_kind="api_client", actor_id=read.actor_id, start=start, end=end)
    assert set(found.people) == {str(s) for s in stored}
    assert found.read == {str(one.subject_id)}
    batch = ImportBatch.objects.get()
    resolve = scoping._resolved_types()["partners.importbatch"]
    assert set(resolve([str(batch.pk)])[str(batch.pk)]) == stored


def test_v_5_3a_ingested_batch_names_the_owners_of_stored_events(make_subject, system_actor):
    from piwarden.collection import services
    from piwarden.consent import services as consent

    def grant(subject):
        for scope in consent.applicable_scopes("log.access"):
            consent.grant(actor=Actor.person(subject), subject=subject, purpose="log.access",
                          scope=scope, notice_text="We keep access logs.", channel="web")

    allowed, other, refused = make_subject(), make_subject(), make_subject()
    now = timezone.now().isoformat()
    events = [{"event_id": uuid.uuid4().hex, "kind": "page_view", "occurred_at": now,
               "subject": str(person.pk), "data": {"url": "https://www.example.cn/"}}
              for person in (allowed, other, refused)]
    batch = services.ingest(actor=system_actor, source="client:test", events=events)
    stored = {event["subject"] for event, result in zip(events, batch.results, strict=True)
              if result.status == "stored"}
    assert stored, [r.as_json() for r in batch.results]
    assert {str(s) for s in _named(_last("collection.events_ingested"))} == stored


def test_v_5_3a_consent_history_read_by_an_api_key_names_the_person(person, system_actor):
    api_client, key = clients.create_client(actor=system_actor, name=f"k-{uuid.uuid4()}",
                                            scopes=["consent:read"])
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get(
        f"/api/v1/consent/subjects/{person.pk}/events")
    assert response.status_code == 200, response.content
    read = _last("consent.history_read")
    assert _named(read) == {person.pk}
    assert (read.actor_kind, read.actor_id) == ("api_client", str(api_client.pk))
    start, end = _around_now()
    found = scoping.scope(actor_kind="api_client", actor_id=str(api_client.pk), start=start,
                          end=end)
    assert found.people == {str(person.pk): {"user.consent"}}
