"""Purpose-bound staff reads in the console (Z-1, V-5.1b)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, AuditSubject, Outcome
from piwarden.collection import services as collection
from piwarden.consent import services as consent
from tests.collection.conftest import event
from tests.staffreads.helpers import give_role, state_purpose

pytestmark = pytest.mark.django_db
EVENTS = "/admin/collection/event/"


def _staff(name: str, *roles: str, superuser: bool = False) -> Client:
    user = get_user_model().objects.create_user(name, password="a long staff password",
                                                is_staff=True, is_superuser=superuser)
    for role in roles:
        give_role(user, role)
    user.user_permissions.add(*Permission.objects.filter(codename="view_event"))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def _ingest(*people):
    collection.ingest(actor=Actor.system("tests"), source="client:t",
                      events=[event(subject=p, url="/", ip="203.0.113.1") for p in people])


def _grant(person, purpose="analytics.improvement"):
    consent.grant(actor=Actor.person(person), subject=person, purpose=purpose,
                  notice_text="We analyse how the site is used.", channel="web")


def test_z_1_staff_read_of_collected_events_without_covering_purpose_is_refused_and_audited(
        person):
    """A marketing role holds no purpose that covers usage logs: refused, 403, audited."""
    _ingest(person)
    client = _staff("marketer", "marketing")
    assert client.get(EVENTS).status_code == 302  # to the purpose form first
    response = client.post(f"{EVENTS}purpose/", {"purpose": "log.operation"})
    assert response.status_code == 403
    assert "None of your roles" in response.text and str(person.pk) not in response.text
    refusal = AuditEvent.objects.get(action="staff.read_refused")
    assert (refusal.outcome, refusal.actor_id, refusal.purpose) == (
        Outcome.DENIED, str(client.user.pk), "log.operation")
    assert refusal.detail["refusal"] == "PURPOSE_NOT_HELD"
    assert not AuditEvent.objects.filter(action="staff.read").exists()


def test_z_1_a_purpose_the_catalog_does_not_allow_for_the_data_is_refused(person):
    """Even a superuser (who holds every purpose) cannot read usage logs for marketing."""
    _ingest(person)
    client = _staff("root", superuser=True)
    response = client.post(f"{EVENTS}purpose/", {"purpose": "marketing.email"})
    assert response.status_code == 403
    refusal = AuditEvent.objects.get(action="staff.read_refused")
    assert refusal.detail["refusal"] == "PURPOSE_NOT_PERMITTED"
    assert client.get(EVENTS).status_code == 302  # nothing was remembered


def test_z_1_a_role_lost_after_stating_the_purpose_is_refused_on_the_next_read(person):
    _ingest(person)
    client = _staff("security", "security_officer")
    state_purpose(client, "collection/event", "security")
    assert client.get(EVENTS).status_code == 200
    client.user.groups.clear()
    assert client.get(EVENTS).status_code == 403


def test_v_5_1b_one_audit_record_names_every_person_shown(make_subject):
    """A list page is one ``staff.read`` record whose child rows name everyone on it."""
    people = [make_subject() for _ in range(3)]
    _ingest(*people)
    client = _staff("security", "security_officer")
    state_purpose(client, "collection/event", "security")
    page = client.get(EVENTS)
    assert page.status_code == 200
    read = AuditEvent.objects.get(action="staff.read")
    assert (read.purpose, read.categories) == ("security", ["user.log.usage"])
    assert read.detail["touched"]["count"] == 3 and read.detail["hidden"] == 0
    named = set(AuditSubject.objects.filter(event=read).values_list("subject_id", flat=True))
    assert named == {p.pk for p in people}


def test_z_1_rows_of_people_without_consent_for_the_purpose_are_not_shown(make_subject):
    """Analytics needs consent: the person who gave it is listed, the other is not."""
    agreed, silent = make_subject(), make_subject()
    _grant(agreed)
    _ingest(agreed, silent)
    client = _staff("root", superuser=True)
    state_purpose(client, "collection/event", "analytics.improvement")
    page = client.get(EVENTS)
    assert str(agreed.pk) in page.text and str(silent.pk) not in page.text
    assert "1 row is not shown" in page.text
    read = AuditEvent.objects.get(action="staff.read")
    assert list(AuditSubject.objects.filter(event=read).values_list("subject_id", flat=True)
                ) == [agreed.pk]
    assert read.detail["hidden"] == 1


def test_z_1_detail_of_a_person_without_consent_is_refused(make_subject):
    from piwarden.collection.models import Event

    silent = make_subject()
    _ingest(silent)
    client = _staff("root", superuser=True)
    state_purpose(client, "collection/event", "analytics.improvement")
    row = Event.objects.get(subject=silent)
    response = client.get(f"{EVENTS}{row.pk}/change/")
    assert response.status_code == 403
    refusal = AuditEvent.objects.get(action="staff.read_refused")
    assert refusal.subject_id == silent.pk


def test_d_1_3_lists_show_masks_by_default(client, person):
    """Lead columns show the vault's masks, read in one query for the page."""
    from piwarden.leads.models import Lead
    from piwarden.vault import services as vault

    with transaction.atomic():
        vault.put(actor=Actor.system("t"), subject=person, field="phone", value="13800138000",
                  purpose="lead.callback")
    _grant(person, "lead.callback")
    Lead.objects.create(subject=person, channel="web", notice_version="1",
                        last_submitted_at=timezone.now())
    staff = _staff("root", superuser=True)
    state_purpose(staff, "leads/lead", "lead.callback")
    page = staff.get("/admin/leads/lead/")
    assert page.status_code == 200
    assert "138****8000" in page.text and "13800138000" not in page.text
