"""The collection source of the subject-data registry: export and erase."""

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.collection import services
from piwarden.collection.models import DeviceLink, Event
from piwarden.subjects import registry

from .conftest import event

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def _source():
    return next(s for s in registry.sources() if s.name == "collection.events")


@pytest.fixture
def history(person, make_subject, grant):
    grant(person, "location.service")
    grant(person, "device.cross_device")
    other = make_subject()
    visitor = str(uuid.uuid4())
    services.ingest(actor=ACTOR, source="client:t", events=[
        {**event("log", subject=person, url="/a", ip="203.0.113.4"), "visitor": visitor},
        event("dev", kind="device", subject=person, user_agent="Mozilla/5.0", language="en"),
        event("loc", kind="location", subject=person, latitude=31.2304, longitude=121.4737),
        event("theirs", subject=other, url="/b"),
    ])
    return person, other


def test_export_holds_everything_of_the_subject_only(history):
    person, _ = history
    tables = _source().export(person)
    events = {row["event_id"]: row for row in tables["collection_events"]}
    assert set(events) == {"log", "dev", "loc"}
    assert events["log"]["ip"] == "203.0.113.0/24" and events["log"]["url"] == "/a"
    assert events["loc"]["latitude"] == "31.23"
    assert len(tables["collection_device_links"]) == 1
    for rows in tables.values():
        for row in rows:
            assert all(v is None or isinstance(v, str | int | bool) for v in row.values())


def test_erase_deletes_and_keeps_access_logs_detached(history):
    """Device and location records are deleted; access logs, held under a legal obligation,
    lose their link to the person and are reported as kept; a second run does nothing."""
    person, other = history
    with transaction.atomic():
        erased = _source().erase(actor=ACTOR, subject=person, categories=None)
    assert (erased.erased, erased.anonymized) == (3, 1)  # device, location, link; one log
    kept = erased.kept[0]
    assert (kept.category, kept.legal_basis) == ("user.log", "legal_obligation")
    assert kept.until > (timezone.now() + timedelta(days=300)).date()
    assert not Event.objects.filter(subject=person).exists()
    assert Event.objects.get(event_id="log").subject_id is None
    assert Event.objects.filter(subject=other).count() == 1
    assert not DeviceLink.objects.exists()
    with transaction.atomic():
        again = _source().erase(actor=ACTOR, subject=person, categories=None)
    assert (again.erased, again.anonymized, again.kept) == (0, 0, [])


def test_erase_by_category(history):
    person, _ = history
    with transaction.atomic():
        erased = _source().erase(actor=ACTOR, subject=person,
                                 categories=["user.location.precise"])
    assert (erased.erased, erased.anonymized) == (1, 0)
    assert set(Event.objects.filter(subject=person).values_list("kind", flat=True)) == {
        "page_view", "device"}
    assert DeviceLink.objects.exists()
