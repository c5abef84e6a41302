"""audit.services.record: one chained record per action, in the caller's transaction."""

import pytest
from django.db import transaction

from piwarden.audit import services
from piwarden.audit.chain import GENESIS_HASH, compute_hash
from piwarden.audit.context import request_id_var
from piwarden.audit.models import AuditEvent, ChainHead, Outcome
from piwarden.subjects.models import SubjectKind
from piwarden.subjects.services import create_subject

pytestmark = pytest.mark.django_db


def test_records_are_chained_in_order(system_actor):
    """Each record links to the previous one's hash and the head follows the last record."""
    start = ChainHead.objects.get(pk=1)
    first = services.record(actor=system_actor, action="test.first")
    second = services.record(actor=system_actor, action="test.second", detail={"n": 1})
    assert first.seq == start.seq + 1 and second.seq == first.seq + 1
    assert first.prev_hash == start.hash
    assert second.prev_hash == first.hash
    assert compute_hash(second) == second.hash
    head = ChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (second.seq, second.hash)


def test_stored_record_hashes_the_same_after_a_database_round_trip(system_actor):
    """The canonical form survives the database: timestamps, JSON and the subject id."""
    subject = create_subject(actor=system_actor, kind=SubjectKind.LEAD)
    event = services.record(
        actor=system_actor, action="test.round_trip", subject=subject,
        detail={"b": [1, "x", None, True], "a": {"nested": "值"}},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert compute_hash(stored) == event.hash


def test_first_record_links_to_genesis(system_actor):
    """The chain starts from a fixed genesis hash."""
    services.record(actor=system_actor, action="test.any")
    assert AuditEvent.objects.get(seq=1).prev_hash == GENESIS_HASH


def test_rolled_back_action_leaves_no_record(system_actor):
    """A record written in a transaction that rolls back disappears with it."""
    before = ChainHead.objects.get(pk=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(actor=system_actor, action="test.doomed")
        raise RuntimeError("the action failed")
    assert not AuditEvent.objects.filter(action="test.doomed").exists()
    assert ChainHead.objects.get(pk=1).hash == before.hash


def test_record_names_actor_subject_object_and_request(system_actor):
    """Who, about whom, on what, and the request it came from are all kept."""
    subject = create_subject(actor=system_actor, kind=SubjectKind.ACCOUNT_HOLDER)
    token = request_id_var.set("req-12345678")
    try:
        event = services.record(
            actor=system_actor, action="test.access", subject=subject, obj=subject,
            outcome=Outcome.DENIED,
        )
    finally:
        request_id_var.reset(token)
    assert event.actor_kind == "system" and event.actor_id == "tests"
    assert event.subject_id == subject.pk
    assert (event.object_type, event.object_id) == ("subjects.subject", str(subject.pk))
    assert event.request_id == "req-12345678"
    assert event.outcome == "denied"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "NoDots"}, "dotted name"),
        ({"action": "test.ok", "detail": {"score": 0.5}}, "float is not allowed"),
        ({"action": "test.ok", "detail": {1: "x"}}, "keys must be strings"),
        ({"action": "test.ok", "categories": ["no.such.category"]}, "not in the data catalog"),
        ({"action": "test.ok", "purpose": "no_such_purpose"}, "not in the data catalog"),
        ({"action": "test.ok", "legal_basis": "no_such_basis"}, "not in the data catalog"),
    ],
)
def test_bad_records_are_refused(system_actor, kwargs, message):
    """Malformed actions, float or non-string-keyed details and uncatalogued keys are refused."""
    with pytest.raises(services.AuditError, match=message):
        services.record(actor=system_actor, **kwargs)


def test_actor_must_be_an_actor():
    """A bare string is not an actor: every caller says who acts, explicitly."""
    with pytest.raises(services.AuditError, match="Actor"):
        services.record(actor="someone", action="test.ok")


def test_record_many_chains_each_record_in_order(system_actor):
    """Batch writers append several records at once (one round trip on PostgreSQL); each is
    chained to the one before and stored exactly as hashed."""
    start = ChainHead.objects.get(pk=1)
    events = services.record_many([
        {"actor": system_actor, "action": "test.batch", "detail": {"n": n}} for n in range(5)])
    assert [event.seq for event in events] == list(range(start.seq + 1, start.seq + 6))
    previous = start.hash
    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.prev_hash == previous and compute_hash(stored) == stored.hash == event.hash
        previous = event.hash
    assert ChainHead.objects.get(pk=1).hash == events[-1].hash
    assert services.verify().ok


def test_record_many_writes_nothing_when_one_entry_is_refused(system_actor):
    before = AuditEvent.objects.count()
    with pytest.raises(services.AuditError):
        services.record_many([{"actor": system_actor, "action": "test.fine"},
                              {"actor": system_actor, "action": "not dotted"}])
    assert AuditEvent.objects.count() == before
