"""The write of one choice (``consent.store``) with real commits: on PostgreSQL the write that
begins a transaction is sent with its ``BEGIN`` in one message, its values as literals."""

import uuid

import pytest
from django.db import connection

from piwarden.audit.actors import Actor
from piwarden.consent import services, store
from piwarden.consent.models import ConsentEvent, ConsentState
from piwarden.subjects.models import SubjectKind, SubjectStatus
from piwarden.subjects.services import change_status, create_subject

from .conftest import NOTICE

SITE = Actor.system("site")
NASTY = ("Mozilla/5.0 'quoted' \\backslash\\ \"double\" '); DROP TABLE consent_consentevent; --"
         " E'\\x41' $$dollar$$ 中文 ☃")


@pytest.fixture
def sends(monkeypatch):
    """The writes sent as one message with their BEGIN."""
    sent = []
    send = store._send

    def spy(*args):
        sent.append(args[2])
        return send(*args)

    monkeypatch.setattr(store, "_send", spy)
    return sent


@pytest.fixture
def someone(committed_db):
    from django.db import transaction

    with transaction.atomic():
        return create_subject(actor=SITE, kind=SubjectKind.ACCOUNT_HOLDER)


def choose(subject_id, choice="grant", **kwargs):
    return services.record_choice(actor=SITE, subject_id=subject_id, purpose="survey",
                                  choice=choice, notice_text=kwargs.pop("notice_text", NOTICE),
                                  channel="api", **kwargs)


def test_values_are_stored_as_given(someone, sends):
    """Quotes, backslashes and any text in the values arrive verbatim."""
    event = choose(someone.pk, user_agent=NASTY, ip="203.0.113.9")
    stored = ConsentEvent.objects.get(pk=event.pk)
    assert (stored.user_agent, stored.ip_prefix, stored.choice, stored.actor_id) == (
        NASTY[:300], "203.0.113.0/24", "grant", "site")
    assert stored.occurred_at == event.occurred_at
    assert ConsentState.objects.get(subject=someone).event_id == event.pk
    assert len(sends) == (1 if connection.vendor == "postgresql" else 0)


def test_the_write_survives_a_lost_prepared_statement(someone, sends, monkeypatch):
    """After the driver deallocated every prepared statement (as psycopg does after a
    rollback), the next write prepares it again and is recorded once."""
    messages = []
    exchange = store._exchange

    def spy(raw, statements):
        messages.append([statement.split(None, 1)[0] for statement in statements])
        return exchange(raw, statements)

    monkeypatch.setattr(store, "_exchange", spy)
    first = choose(someone.pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
    second = choose(someone.pk, "withdraw")
    third = choose(someone.pk)
    if connection.vendor == "postgresql":
        assert ["BEGIN", "EXECUTE"] in messages
        assert ["ROLLBACK", "BEGIN", "PREPARE", "EXECUTE"] in messages
    assert list(ConsentEvent.objects.filter(subject=someone).order_by("pk").values_list(
        "pk", "choice")) == [(first.pk, "grant"), (second.pk, "withdraw"), (third.pk, "grant")]
    assert ConsentState.objects.get(subject=someone).event_id == third.pk


def test_refusals_write_nothing(someone, sends):
    """An unknown person, or an inactive one granting, leaves no row behind."""
    with pytest.raises(services.ConsentError) as refused:
        choose(uuid.uuid4())
    assert refused.value.code == "NOT_FOUND"
    change_status(actor=SITE, subject=someone, status=SubjectStatus.RESTRICTED, reason="hold")
    with pytest.raises(services.ConsentError) as refused:
        choose(someone.pk)
    assert refused.value.code == "SUBJECT_INACTIVE"
    assert not ConsentEvent.objects.filter(subject=someone).exists()
    assert choose(someone.pk, "withdraw").pk


def test_a_new_notice_is_stored_and_used(someone):
    text = f"Never shown before {uuid.uuid4()}"
    event = choose(someone.pk, notice_text=text)
    assert ConsentEvent.objects.get(pk=event.pk).notice.text == text
