"""Impact scoping (V-5.3a): whose PI a compromised actor or store read or changed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from piwarden.audit import scoping, services
from piwarden.audit.actors import Actor, ActorKind
from piwarden.audit.models import Outcome
from piwarden.errors import ServiceError

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


@pytest.fixture
def clock(monkeypatch):
    """Records are stamped with the time the test sets."""
    now = {"value": at(9)}
    monkeypatch.setattr("piwarden.audit.services.timezone.now", lambda: now["value"])

    def set_to(when):
        now["value"] = when
    return set_to


def write(when, clock, **kwargs):
    clock(when)
    with transaction.atomic():
        return services.record(**kwargs)


KEY_K, KEY_L = Actor(ActorKind.API_CLIENT, "17"), Actor(ActorKind.API_CLIENT, "18")


def _window(**kwargs):
    return scoping.scope(actor_kind="api_client", actor_id="17", start=at(10), end=at(14),
                         **kwargs)


def test_v_5_3a_scope_lists_exactly_the_people_key_k_read_or_changed(clock, make_subject):
    """K reads 1-3 (a list of two, then one changed) between 10:00 and 14:00; another key
    reads 4; K reads 5 at 15:00: exactly 1-3, with the categories of the records."""
    p = [make_subject() for _ in range(6)]
    write(at(10), clock, actor=KEY_K, action="leads.listed_read", subjects=p[1:3],
          categories=["user.contact.phone"])
    write(at(12), clock, actor=KEY_K, action="partners.record_changed", subject=p[3],
          categories=["user.name"])
    write(at(13, 59), clock, actor=KEY_K, action="vault.value_revealed", subject=p[1],
          categories=["user.contact.email"])
    write(at(11), clock, actor=KEY_L, action="leads.listed_read", subjects=[p[4]],
          categories=["user.contact.phone"])
    write(at(15), clock, actor=KEY_K, action="leads.listed_read", subjects=[p[5]],
          categories=["user.contact.phone"])
    write(at(9, 59), clock, actor=KEY_K, action="leads.listed_read", subjects=[p[0]],
          categories=["user.contact.phone"])
    found = _window()
    assert found.people == {str(p[1].pk): {"user.contact.phone", "user.contact.email"},
                            str(p[2].pk): {"user.contact.phone"},
                            str(p[3].pk): {"user.name"}}
    assert found.read == {str(p[1].pk), str(p[2].pk)}
    assert found.changed == {str(p[3].pk)}
    assert found.records == 3
    assert found.actions == {"leads.listed_read": 1, "partners.record_changed": 1,
                             "vault.value_revealed": 1}


def test_v_5_3a_denied_attempts_are_counted_but_name_nobody(clock, make_subject):
    person = make_subject()
    write(at(11), clock, actor=KEY_K, action="vault.reveal_refused", subject=person,
          categories=["user.name"], outcome=Outcome.DENIED)
    found = _window()
    assert found.people == {} and found.records == 1
    assert found.actions == {"vault.reveal_refused": 1}


def test_v_5_3a_record_about_a_batch_resolves_its_people(clock, make_subject, monkeypatch):
    """A record naming only an object reaches its people through the registered resolver."""
    a, b = make_subject(), make_subject()
    monkeypatch.setitem(scoping._resolvers, "subjects.subject",
                        lambda ids: {i: [a.pk, b.pk] for i in ids})
    write(at(11), clock, actor=KEY_K, action="test.batch_exported", obj=a,
          categories=["user.name"])
    found = _window()
    assert found.people == {str(a.pk): {"user.name"}, str(b.pk): {"user.name"}}
    assert found.read == {str(a.pk), str(b.pk)}


@pytest.mark.parametrize(("action", "read"), [
    ("vault.value_revealed", True), ("sharing.provided", True), ("partners.record_read", True),
    ("subjectdata.export_downloaded", True), ("consent.history_read", True),
    ("consent.evidence_viewed", True), ("leads.submitted", False), ("vault.value_put", False),
    ("leads.erased", False), ("partners.batch_imported", False)])
def test_read_or_changed_rule(action, read):
    assert scoping.is_read(action) is read


def test_bad_window_and_actor_kind_are_refused():
    with pytest.raises(ServiceError) as refused:
        scoping.scope(actor_kind="robot", actor_id="1", start=at(10), end=at(14))
    assert refused.value.code == "UNKNOWN_ACTOR_KIND"
    with pytest.raises(ServiceError) as refused:
        scoping.scope(actor_kind="staff", actor_id="1", start=at(14), end=at(10))
    assert refused.value.code == "BAD_WINDOW"


def test_v_5_3a_scope_store_lists_the_people_a_source_holds(clock, make_subject):
    """A subject-data source: everyone with rows there now (read), plus those the window's
    records name on its categories; records on other categories name nobody."""
    held, touched, other = make_subject(), make_subject(), make_subject()
    write(at(11), clock, actor=KEY_K, action="test.entry", subject=held,
          categories=["user.log.usage"])
    write(at(11), clock, actor=KEY_K, action="test.entry", subject=other,
          categories=["user.name"])
    write(at(8), clock, actor=KEY_K, action="test.entry", subjects=[touched],
          categories=["user.log.usage"])
    found = scoping.scope_store(store="audit.trail")
    assert {str(held.pk), str(touched.pk), str(other.pk)} <= set(found.people)
    assert found.people[str(touched.pk)] == {"user.log.usage"}
    assert found.records == 0
    windowed = scoping.scope_store(store="audit.trail", start=at(10), end=at(14))
    assert windowed.records == 1 and windowed.actions == {"test.entry": 1}
    assert str(touched.pk) in windowed.read


def test_v_5_3a_scope_store_takes_a_catalog_system(make_subject, system_actor):
    """The vault system holds the people with vault values, with the system's categories;
    a person with no data there is not listed; an unknown store is a 404."""
    from piwarden.catalog.models import DataCategory
    from piwarden.consent.erasure import covered
    from piwarden.vault import services as vault

    holder, bystander = make_subject(), make_subject()
    with transaction.atomic():
        vault.put(actor=system_actor, subject=holder, field="phone", value="+8613800138000",
                  purpose="account.registration")
    found = scoping.scope_store(store="pi_vault")
    stored_there = set(DataCategory.objects.filter(activities__systems__key="pi_vault")
                       .values_list("key", flat=True))
    assert str(bystander.pk) not in found.people
    held = found.people[str(holder.pk)]
    assert held <= stored_there and covered("user.contact.phone", held)
    assert str(holder.pk) in found.read
    assert scoping.scope_store(store="vault.values").people[str(holder.pk)] == {"user"}
    with pytest.raises(ServiceError) as refused:
        scoping.scope_store(store="no_such_store")
    assert refused.value.code == "UNKNOWN_STORE" and refused.value.status == 404
