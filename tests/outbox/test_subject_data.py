"""The outbox in the subject-data registry: a person's access request lists the messages
queued to them (with the address and text of those still waiting), and an erasure unlinks
them all, keeping a waiting one until it is sent (the erasure's own confirmation is one)."""

import pytest
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.outbox import services, subject_data
from piwarden.outbox.models import Message
from piwarden.subjects import registry

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests.outbox")
ADDRESS = "wen.jing.orbit@mail.example.net"


def queue_email(person, key: str) -> Message:
    with transaction.atomic():
        return services.enqueue_email(actor=ACTOR, to=[ADDRESS], subject="Your request",
                                      body="We have received your request.", audience="person",
                                      source="tests.outbox", kind="tests.notice", person=person,
                                      idempotency_key=key)


def queue_sms(person, key: str) -> Message:
    with transaction.atomic():
        return services.enqueue_sms(actor=ACTOR, to="+8613912345678", text="Code 4402.",
                                    audience="person", source="tests.outbox",
                                    kind="tests.code", person=person, idempotency_key=key)


def test_the_outbox_is_a_registered_source():
    assert subject_data.SOURCE in registry.sources()


def test_r_6_1_an_export_lists_the_persons_messages_and_the_content_still_held(make_subject):
    person, other = make_subject(), make_subject()
    waiting = queue_email(person, "export.waiting")
    sent = queue_sms(person, "export.sent")
    sent.sealed, sent.wrapped_key, sent.key_version, sent.status = b"", b"", None, "sent"
    sent.save()
    queue_email(other, "export.other")
    rows = {row["id"]: row for row in subject_data.export(person)["outbox_message"]}
    assert set(rows) == {str(waiting.id), str(sent.id)}  # not the other person's
    assert (rows[str(waiting.id)]["recipients"], rows[str(waiting.id)]["text"]) == (
        ADDRESS, "We have received your request.")
    assert rows[str(sent.id)]["recipients"] is None and rows[str(sent.id)]["status"] == "sent"


def test_r_6_3_an_erasure_unlinks_the_messages_and_keeps_a_waiting_one_until_sent(
        make_subject):
    person, other = make_subject(), make_subject()
    waiting = queue_sms(person, "erase.waiting")
    mine_sent = queue_email(person, "erase.sent")
    Message.objects.filter(pk=mine_sent.pk).update(sealed=b"", wrapped_key=b"",
                                                   key_version=None, status="sent")
    theirs = queue_email(other, "erase.other")
    with transaction.atomic():
        result = subject_data.erase(actor=ACTOR, subject=person)
    assert result.anonymized == 2
    assert [kept.category for kept in result.kept] == ["user.contact.phone"]
    assert not Message.objects.filter(subject=person).exists()
    waiting.refresh_from_db()
    assert waiting.has_content  # still goes out, then is wiped as every message is
    assert Message.objects.get(pk=theirs.pk).subject_id == other.pk
    assert AuditEvent.objects.filter(action="outbox.unlinked", subject=person).exists()
    with transaction.atomic():  # a second run finds nothing more to do
        again = subject_data.erase(actor=ACTOR, subject=person)
    assert (again.anonymized, again.kept) == (0, [])
