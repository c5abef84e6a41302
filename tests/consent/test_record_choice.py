"""Recording one choice by the person's id (``services.record_choice``): what the API's
single-choice endpoint calls, written without reading anything first (``consent.store``)."""

import uuid

import pytest
from django.db import connection

from piwarden import metrics
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.consent import services, signals
from piwarden.consent.models import (
    ConsentEvent,
    ConsentState,
    ErasureStatus,
    Notice,
    ScheduledErasure,
)
from piwarden.subjects.models import SubjectStatus
from piwarden.subjects.services import change_status

from .conftest import NOTICE

pytestmark = pytest.mark.django_db
SITE = Actor.system("site")


def choose(subject_id, choice, purpose="survey", scope="general", notice_text=NOTICE):
    return services.record_choice(actor=SITE, subject_id=subject_id, purpose=purpose,
                                  choice=choice, scope=scope, notice_text=notice_text,
                                  channel="api")


def test_repeated_grant_costs_three_statements(person, statements):
    """A grant that changes nothing is still recorded as a fresh affirmation (a new event and
    audit record), in at most three statements besides transaction control: the event, the
    state and the audit record. On PostgreSQL the event and the state are one statement, so
    it is two there; nothing is read first (the person, the notice, the previous choice)."""
    first = choose(person.pk, "grant")  # also stores the notice and fills the caches
    events, records = ConsentEvent.objects.count(), AuditEvent.objects.count()
    with statements() as sent:
        again = choose(person.pk, "grant")
    assert len(sent) <= 3, sent
    assert len(sent) == (2 if connection.vendor == "postgresql" else 3), sent
    assert again.pk != first.pk and again.notice_id == first.notice_id
    assert (ConsentEvent.objects.count(), AuditEvent.objects.count()) == (events + 1,
                                                                          records + 1)
    state = ConsentState.objects.get(subject=person, purpose="survey", scope="general")
    assert (state.choice, state.event_id) == ("grant", again.pk)
    record = AuditEvent.objects.get(object_type="consent.consentevent", object_id=str(again.pk))
    assert (record.action, record.subject_id) == ("consent.granted", person.pk)


# A withdrawal, in the transaction (the erasure task is queued after commit):
# the event and its state (one statement on PostgreSQL, two on SQLite), the person's consent
# states and the §4.4 exceptions on record (what else keeps their data), the pending erasure
# and the new one, the audit record, the sharing app's two reads of what was provided, and the
# erasure run's job, queued in the same transaction (and, on PostgreSQL, the workers' NOTIFY).
WITHDRAWAL_STATEMENTS = 11


def test_withdrawal_statements_stay_few(person, statements):
    """A withdrawal still schedules the erasure and tells the listeners, in a few
    statements."""
    choose(person.pk, "grant")
    ended = []

    def listener(sender, *, event, actor, **kwargs):
        ended.append((event.subject_id, event.purpose, actor))

    signals.consent_ended.connect(listener)
    try:
        with statements() as sent:
            event = choose(person.pk, "withdraw")
    finally:
        signals.consent_ended.disconnect(listener)
    assert len(sent) <= WITHDRAWAL_STATEMENTS, sent
    assert ended == [(person.pk, "survey", SITE)]
    erasure = ScheduledErasure.objects.get(subject=person, purpose="survey")
    assert (erasure.status, erasure.withdrawal_id) == (ErasureStatus.PENDING, event.pk)
    assert event.erasure == erasure


def test_a_new_grant_cancels_the_erasure_and_a_refusal_after_a_grant_ends_it(person):
    """The choice each write replaces decides what follows: granting again cancels the
    pending erasure; refusing after a grant ends the consent like a withdrawal."""
    choose(person.pk, "grant")
    choose(person.pk, "withdraw")
    choose(person.pk, "grant")
    assert ScheduledErasure.objects.get(subject=person).status == ErasureStatus.CANCELLED
    refused = choose(person.pk, "refuse")
    assert refused.erasure is not None
    assert refused.erasure.status == ErasureStatus.PENDING


def test_unknown_person_is_not_found_and_nothing_is_written(statements):
    """An id no person has is answered NOT_FOUND (404), before any other refusal."""
    events, records = ConsentEvent.objects.count(), AuditEvent.objects.count()
    for scope in ("general", "separate.cross_border"):  # the second is not applicable
        with pytest.raises(services.ConsentError) as refused:
            choose(uuid.uuid4(), "grant", scope=scope)
        assert (refused.value.code, refused.value.status) == ("NOT_FOUND", 404)
    assert (ConsentEvent.objects.count(), AuditEvent.objects.count()) == (events, records)


def test_inactive_person_only_withdraws(person, system_actor):
    """A restricted person's grant is refused (the ledger's rule), a withdrawal is taken."""
    change_status(actor=system_actor, subject=person, status=SubjectStatus.RESTRICTED,
                  reason="legal hold")
    with pytest.raises(services.ConsentError) as refused:
        choose(person.pk, "grant")
    assert refused.value.code == "SUBJECT_INACTIVE"
    with pytest.raises(services.ConsentError) as refused:  # the rules' order: notice after
        choose(person.pk, "grant", notice_text="   ")
    assert refused.value.code == "SUBJECT_INACTIVE"
    assert not ConsentEvent.objects.filter(subject=person).exists()
    withdrawn = choose(person.pk, "withdraw")
    assert withdrawn.subject.status == SubjectStatus.RESTRICTED
    assert ConsentState.objects.get(subject=person).choice == "withdraw"


def test_rules_refuse_as_record_does(person):
    """The same refusals as ``record`` for a person looked up first."""
    for kwargs, code in (({"purpose": "security"}, "SCOPE_NOT_APPLICABLE"),
                         ({"purpose": "no.such.purpose"}, "UNKNOWN_PURPOSE"),
                         ({"notice_text": " "}, "NOTICE_REQUIRED")):
        with pytest.raises(services.ConsentError) as refused:
            choose(person.pk, "grant", **kwargs)
        assert refused.value.code == code
    assert not ConsentEvent.objects.filter(subject=person).exists()


def test_a_new_notice_is_stored_once(person, make_subject):
    """The notice shown is stored by its hash the first time, and shared after."""
    text = f"A notice never shown before {uuid.uuid4()}"
    first = choose(person.pk, "grant", notice_text=text)
    second = choose(make_subject().pk, "grant", notice_text=text)
    notice = Notice.objects.get(text=text)
    assert first.notice_id == second.notice_id == notice.pk
    assert first.notice.sha256 == notice.sha256


def test_each_recorded_choice_is_counted_at_commit(person, django_capture_on_commit_callbacks):
    """``piwarden_consent_writes`` counts choices once they are committed."""
    before = metrics.CONSENT_WRITES._value.get()
    with django_capture_on_commit_callbacks(execute=True):
        choose(person.pk, "grant")
    assert metrics.CONSENT_WRITES._value.get() == before + 1
