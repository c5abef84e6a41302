"""The outbox's bulk entry points: many e-mails or SMS in one batch, each sealed under its own
key as one message is, idempotency keys honoured, one audit record naming everyone."""

import pytest
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.outbox import sealing, services
from piwarden.outbox.models import Channel, Message, MessageStatus

ACTOR = Actor.system("tests.outbox")


def emails(people, prefix="k"):
    return [{"to": [f"bulk.person{i}@example.cn"], "subject": f"Notice {i}",
             "body": f"Text for person {i}.", "person": person,
             "idempotency_key": f"{prefix}:{i}"} for i, person in enumerate(people)]


def queue_email(messages, **extra):
    with transaction.atomic():
        return services.enqueue_many_email(actor=ACTOR, messages=messages, audience="person",
                                           source="tests.outbox", kind="tests.bulk", **extra)


@pytest.mark.django_db
def test_a_batch_is_sealed_per_message_and_named_in_one_audit_record(make_subject):
    people = [make_subject() for _ in range(3)]
    before = AuditEvent.objects.count()
    ids = queue_email(emails(people))
    rows = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    assert [rows[pk].subject_id for pk in ids] == [p.pk for p in people]
    for i, pk in enumerate(ids):
        message = rows[pk]
        assert message.channel == Channel.EMAIL and message.status == MessageStatus.PENDING
        assert message.idempotency_key == f"k:{i}" and message.audience == "person"
        assert sealing.open_content(message) == {"to": [f"bulk.person{i}@example.cn"],
                                                 "subject": f"Notice {i}",
                                                 "body": f"Text for person {i}."}
        assert b"example.cn" not in bytes(message.sealed)
    assert len({bytes(rows[pk].wrapped_key) for pk in ids}) == 3  # a data key per message
    records = AuditEvent.objects.order_by("seq")[before:]
    assert [r.action for r in records] == ["outbox.queued_many"]
    assert records[0].detail["touched"]["count"] == 3 and records[0].detail["messages"] == 3
    assert "example.cn" not in str(records[0].detail)


@pytest.mark.django_db
def test_keys_queued_before_give_their_first_message(make_subject):
    people = [make_subject() for _ in range(2)]
    first = queue_email(emails(people[:1]))
    again = queue_email(emails(people))
    assert again[0] == first[0] and Message.objects.count() == 2
    assert AuditEvent.objects.filter(action="outbox.queued_many").last().detail["messages"] == 1


@pytest.mark.django_db
def test_an_sms_batch_goes_to_one_number_each(make_subject):
    person = make_subject()
    with transaction.atomic():
        ids = services.enqueue_many_sms(
            actor=ACTOR, audience="person", source="tests.outbox",
            messages=[{"to": "+8613700000001", "text": "Notice", "person": person.pk,
                       "idempotency_key": "sms:1"}])
    message = Message.objects.get(pk=ids[0])
    assert message.channel == Channel.SMS and message.subject_id == person.pk
    assert sealing.open_content(message) == {"to": "+8613700000001", "text": "Notice"}


@pytest.mark.django_db
@pytest.mark.parametrize("change, code", [
    ({"to": ["not an address"]}, "RECIPIENTS_INVALID"),
    ({"to": ["a@example.cn", "b@example.cn"]}, "RECIPIENTS_INVALID"),
    ({"subject": "two\nlines"}, "SUBJECT_INVALID"),
    ({"idempotency_key": "k:0"}, "KEY_INVALID"),
])
def test_a_bad_message_refuses_the_whole_batch(make_subject, change, code):
    messages = emails([make_subject(), make_subject()])
    messages[1].update(change)
    with pytest.raises(services.OutboxError) as refused:
        queue_email(messages)
    assert refused.value.code == code
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_display_name_address_is_still_accepted(make_subject):
    messages = emails([make_subject()])
    messages[0]["to"] = ["Mei Lin <mei.lin@example.cn>"]
    assert len(queue_email(messages)) == 1


def test_the_bulk_entry_points_run_only_in_the_callers_transaction(committed_db):
    for enqueue, message in ((services.enqueue_many_email, emails([None])[0]),
                             (services.enqueue_many_sms, {"to": "+8613700000001", "text": "t",
                                                          "idempotency_key": "sms:1"})):
        with pytest.raises(services.OutboxError) as refused:
            enqueue(actor=ACTOR, messages=[message], audience="person", source="tests.outbox")
        assert refused.value.code == "NOT_IN_TRANSACTION"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_queued_batch_message_is_delivered_as_any_other(make_subject, smtp):
    ids = queue_email(emails([make_subject()]))
    message = services.deliver(message_id=ids[0])
    assert message.status == MessageStatus.SENT and not message.has_content
    assert smtp.received[0]["to"] == ["bulk.person0@example.cn"]


@pytest.mark.django_db
def test_each_message_of_a_batch_has_a_key_of_its_own_bound_to_it(make_subject):
    """``envelope.wrap_new_key``: a fresh data key per message, wrapped under the current
    master key and bound to the message's id (a wrapped key copied to another row does not
    open)."""
    from piwarden.vault import envelope, keys
    from piwarden.vault.errors import VaultError

    people = [make_subject() for _ in range(3)]
    ids = queue_email(emails(people, prefix="own"))
    rows = list(Message.objects.filter(pk__in=ids))
    wrapped = {bytes(m.wrapped_key) for m in rows}
    assert len(wrapped) == 3 and b"" not in wrapped
    assert {m.key_version for m in rows} == {keys.get_provider().current_version()}
    first, second = rows[0], rows[1]
    second.wrapped_key = first.wrapped_key
    envelope.key_cache._entries.clear()
    with pytest.raises(VaultError):
        sealing.open_content(second)
