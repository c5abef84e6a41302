"""The append's ways to the database keep the chain as before: the record sent with the
transaction's BEGIN, values written as literals, the prepared statement across rollbacks, and
the bound statement for connections the one-message path does not fit."""

import pytest
from django.db import connection, connections, transaction

from piwarden.audit import services, store
from piwarden.audit.actors import Actor
from piwarden.audit.chain import compute_hash
from piwarden.audit.models import AuditEvent, ChainHead

ACTOR = Actor.system("tests")
AWKWARD = {"quote": "it's", "sql": "x'); DELETE FROM audit_chainhead; --",
           "backslash": "C:\\temp\\n", "lines": "a\nb\tc", "unicode": "值 ☃ \u2028",
           "nested": [{"k": "'"}, None, True, 7]}


def _stored_as_written(event) -> None:
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.detail, stored.categories, stored.actor_id) == (
        event.detail, event.categories, event.actor_id)
    assert compute_hash(stored) == stored.hash == event.hash


@pytest.mark.django_db
def test_awkward_text_is_stored_exactly_as_hashed():
    """Quotes, backslashes, SQL, newlines and other scripts reach the database unchanged."""
    event = services.record(actor=Actor.system("job'; --"), action="test.awkward",
                            detail=AWKWARD)
    _stored_as_written(event)
    assert ChainHead.objects.filter(pk=1, seq=event.seq, hash=event.hash).exists()
    assert services.verify().ok


def test_a_record_that_opens_the_transaction_commits_or_rolls_back_with_it(committed_db):
    """The first statement of a transaction (sent with its BEGIN on PostgreSQL), on a fresh
    connection: rolled back with the action, then the next one links to the head as before."""
    connections.close_all()
    before = ChainHead.objects.get(pk=1)
    connections.close_all()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(actor=ACTOR, action="test.lost", detail=AWKWARD)
        raise RuntimeError
    assert ChainHead.objects.get(pk=1).hash == before.hash
    with transaction.atomic():
        kept = services.record(actor=ACTOR, action="test.kept", detail=AWKWARD)
    with transaction.atomic():
        following = services.record_many([{"actor": ACTOR, "action": "test.next"},
                                          {"actor": ACTOR, "action": "test.next"}])
    assert kept.prev_hash == before.hash and kept.seq == before.seq + 1
    assert [event.seq for event in following] == [kept.seq + 1, kept.seq + 2]
    assert following[0].prev_hash == kept.hash
    _stored_as_written(kept)
    assert services.verify().ok


@pytest.mark.django_db
def test_the_bound_statement_keeps_the_same_chain(monkeypatch):
    """Where the one-message path does not apply (a stated isolation level, an open pipeline),
    the same statement runs bound on the server, and the chain is the same."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(store, "_direct", lambda raw: False)
    first = services.record(actor=ACTOR, action="test.bound", detail=AWKWARD)
    more = services.record_many([{"actor": ACTOR, "action": "test.bound", "detail": {"n": n}}
                                 for n in range(3)])
    assert [event.seq for event in more] == [first.seq + 1, first.seq + 2, first.seq + 3]
    for event in (first, *more):
        _stored_as_written(event)
    assert services.verify().ok


def test_records_survive_the_session_losing_or_keeping_the_statement(committed_db):
    """psycopg deallocates every prepared statement of a session after some rollbacks, and a
    connection may hold the statement without this process knowing: a record that opens its
    transaction is sent again, prepared or not, and the chain goes on."""
    with transaction.atomic():
        first = services.record(actor=ACTOR, action="test.before")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
    with transaction.atomic():
        second = services.record(actor=ACTOR, action="test.after", detail=AWKWARD)
    connections["default"].__dict__.pop("_piwarden_audit_prepared", None)  # held, not known
    with transaction.atomic():
        third = services.record(actor=ACTOR, action="test.again")
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    _stored_as_written(second)
    assert services.verify().ok
