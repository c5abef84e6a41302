"""The outbox writes only inside the transaction of the action that sends the message, and
claims each attempt so that concurrent workers send once (no per-test transaction here: the
checks must see the real autocommit and real commits)."""

import threading

import pytest
from django.db import connections

from piwarden.audit.models import AuditEvent
from piwarden.outbox import services
from piwarden.outbox.models import Message, MessageStatus
from piwarden.sharing.models import Counterparty
from tests.outbox.test_email_sms import queue_email


def test_enqueue_refuses_to_run_outside_a_transaction(committed_db, system_actor):
    with pytest.raises(services.OutboxError) as refused:
        services.enqueue(actor=system_actor, destination="https://sms.example.cn/hook",
                         payload={"type": "test"}, concerns=Counterparty(pk=1))
    assert refused.value.code == "NOT_IN_TRANSACTION"
    assert not Message.objects.exists()


def test_enqueue_email_and_sms_refuse_to_run_outside_a_transaction(committed_db, system_actor):
    for enqueue, arguments in ((services.enqueue_email, {"to": ["a@example.cn"], "subject": "s",
                                                         "body": "b"}),
                               (services.enqueue_sms, {"to": "+8613900000001", "text": "t"})):
        with pytest.raises(services.OutboxError) as refused:
            enqueue(actor=system_actor, audience="person", source="tests", **arguments)
        assert refused.value.code == "NOT_IN_TRANSACTION"
    assert not Message.objects.exists()


@pytest.mark.slow
def test_two_workers_delivering_at_once_send_once(committed_db, smtp, settings):
    """Four workers (threads, each its own connection) take the same due message at the same
    moment: the claim lets one of them send; the others find it claimed."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    smtp.delay = 0.3  # the winner is still talking to the server while the others look
    message = queue_email(key="tests.concurrent")
    barrier, outcomes, errors = threading.Barrier(4), [], []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.deliver(message_id=message.pk).status)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        assert len(smtp.received) == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
        assert AuditEvent.objects.filter(action="outbox.sent",
                                         object_id=str(message.pk)).count() == 1
    finally:
        Message.objects.filter(idempotency_key="tests.concurrent").delete()
