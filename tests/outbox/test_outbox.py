"""The outbox: written in the caller's transaction, sent after commit through egress control
with an idempotency key, retried with back-off, given up on with an alert."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.models import AuditEvent
from piwarden.outbox import services, tasks
from piwarden.outbox.models import Message, MessageStatus
from piwarden.sharing.models import Counterparty
from tests.staff import staff_client

pytestmark = pytest.mark.django_db


def queue(actor, receiver, path="/hook", **payload):
    """Queue one webhook about a registry row (any model will do) and commit."""
    concerns = Counterparty.objects.get(recipient="partner.business")
    with transaction.atomic():
        return services.enqueue(actor=actor, destination=receiver.url(path),
                                payload={"type": "test", **payload}, concerns=concerns)


def test_a_message_leaves_after_commit_with_its_idempotency_key(
        open_egress, immediate_tasks, receiver, system_actor, django_capture_on_commit_callbacks):
    """Nothing is sent inside the transaction; after the commit one POST arrives, carrying
    the payload and the message's idempotency key."""
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(system_actor, receiver, reference="ref-1")
        assert receiver.received == []
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 1, "")
    [got] = receiver.received
    assert got.path == "/hook" and got.body == {"type": "test", "reference": "ref-1"}
    assert got.headers["idempotency-key"] == message.idempotency_key
    assert got.headers["content-type"] == "application/json"
    actions = list(AuditEvent.objects.filter(object_id=str(message.pk))
                   .values_list("action", flat=True))
    assert actions == ["outbox.queued", "outbox.sent"]


def test_a_rolled_back_message_never_leaves(open_egress, immediate_tasks, receiver,
                                            system_actor, django_capture_on_commit_callbacks):
    class Undo(Exception):
        pass

    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(Undo),
          transaction.atomic()):
        queue(system_actor, receiver)
        raise Undo
    assert not Message.objects.exists() and receiver.received == []


def test_retry_is_one_logical_delivery_with_the_same_key(
        open_egress, immediate_tasks, receiver, system_actor, django_capture_on_commit_callbacks):
    """The receiver fails once (500): the message waits for its back-off, then the sweep
    sends it again with the same idempotency key and payload, and it is sent."""
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(system_actor, receiver, reference="ref-2")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.PENDING, 1, "HTTP_500")
    first_try = message.next_attempt_at - services.backoff(1)
    assert services.deliver_due(now=first_try) == 0  # not due yet
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliver_due(now=message.next_attempt_at) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, "")
    assert [r.headers["idempotency-key"] for r in receiver.received] == [
        message.idempotency_key] * 2
    assert receiver.received[0].raw == receiver.received[1].raw
    assert services.deliver_due(now=message.next_attempt_at + timedelta(days=1)) == 0


def test_back_off_doubles_up_to_an_hour(settings):
    settings.PIWARDEN_OUTBOX_BACKOFF_SECONDS = 30
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert services.backoff(20) == timedelta(hours=1)


def test_gives_up_after_the_last_attempt_and_raises_an_alert(
        open_egress, immediate_tasks, receiver, system_actor, settings,
        django_capture_on_commit_callbacks):
    settings.PIWARDEN_OUTBOX_MAX_ATTEMPTS = 3
    receiver.answers = [503, 502, 500, 200]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(system_actor, receiver)
        for _ in range(3):
            message.refresh_from_db()
            services.deliver_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.FAILED, 3, "HTTP_500")
    assert len(receiver.received) == 3
    alert = Alert.objects.get(kind="outbox.delivery_failed")
    assert alert.objects_concerned == [f"outbox.message:{message.pk}"]
    assert "127.0.0.1" in alert.summary
    assert AuditEvent.objects.filter(action="outbox.failed", object_id=str(message.pk)).exists()


def test_a_client_error_is_not_retried(open_egress, immediate_tasks, receiver, system_actor,
                                       django_capture_on_commit_callbacks):
    receiver.answers = [400]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(system_actor, receiver)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.FAILED, 1, "HTTP_400")


def test_a_host_egress_refuses_fails_at_once_without_retry(
        open_egress, immediate_tasks, receiver, system_actor, django_capture_on_commit_callbacks):
    """127.0.0.2 is this machine too, but no recipient declares it: egress refuses (and alerts
    by itself); the message fails after one attempt and nothing arrives."""
    concerns = Counterparty.objects.get(recipient="partner.business")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = services.enqueue(
            actor=system_actor, concerns=concerns, payload={"type": "test"},
            destination=f"http://127.0.0.2:{receiver.server.server_port}/hook")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.FAILED, 1, "EGRESS_REFUSED")
    assert receiver.received == []
    assert Alert.objects.filter(kind="egress.refused").count() == 1
    assert not Alert.objects.filter(kind="outbox.delivery_failed").exists()


def test_a_network_error_is_retried(open_egress, immediate_tasks, receiver, system_actor,
                                    django_capture_on_commit_callbacks):
    port = receiver.server.server_port
    receiver.__exit__()  # nothing listens on the port any more
    concerns = Counterparty.objects.get(recipient="partner.business")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = services.enqueue(actor=system_actor, concerns=concerns,
                                   payload={"type": "test"},
                                   destination=f"http://127.0.0.1:{port}/hook")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.PENDING, 1, "ConnectError")


def test_payloads_carry_references_never_pi(named_catalog, system_actor):
    concerns, _ = Counterparty.objects.get_or_create(recipient="partner.business")
    for payload, code in (({"phone": "13800000000"}, "PI_IN_PAYLOAD"),
                          ({"person": {"email": "a@example.cn"}}, "PI_IN_PAYLOAD"),
                          ({"score": 0.5}, "PAYLOAD_INVALID")):
        with pytest.raises(services.OutboxError) as refused, transaction.atomic():
            services.enqueue(actor=system_actor, destination="https://sms.example.cn/hook",
                             payload=payload, concerns=concerns)
        assert refused.value.code == code
    assert not Message.objects.exists()


def test_the_same_idempotency_key_queues_once(named_catalog, system_actor):
    concerns, _ = Counterparty.objects.get_or_create(recipient="partner.business")
    with transaction.atomic():
        first = services.enqueue(actor=system_actor, destination="https://sms.example.cn/hook",
                                 payload={"type": "test"}, concerns=concerns,
                                 idempotency_key="k-1")
        again = services.enqueue(actor=system_actor, destination="https://sms.example.cn/hook",
                                 payload={"type": "test"}, concerns=concerns,
                                 idempotency_key="k-1")
    assert first.pk == again.pk and Message.objects.count() == 1


def test_staff_retry_a_failed_message_from_the_console(
        open_egress, immediate_tasks, receiver, system_actor, settings,
        django_capture_on_commit_callbacks):
    settings.PIWARDEN_OUTBOX_MAX_ATTEMPTS = 1
    receiver.answers = [503]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(system_actor, receiver)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    viewer = staff_client("outbox", "view_message", name="viewer")
    assert viewer.get("/admin/outbox/message/").status_code == 200
    refused = viewer.post("/admin/outbox/message/", {"action": "retry_now",
                                                     "_selected_action": [str(message.pk)]})
    assert refused.status_code in (200, 302)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED  # viewing is not retrying
    clerk = staff_client("outbox", "view_message", "change_message")
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post("/admin/outbox/message/", {"action": "retry_now",
                                                         "_selected_action": [str(message.pk)]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
    record = AuditEvent.objects.get(action="outbox.retry_requested")
    assert record.actor_id == str(clerk.user.pk) and record.detail["status"] == "failed"
    with pytest.raises(services.OutboxError):
        services.retry_now(actor=system_actor, message=message)


def test_the_worker_sends_and_a_retry_is_queued_for_its_time(
        open_egress, receiver, system_actor, django_capture_on_commit_callbacks):
    """With the job backend the commit queues a delivery task for the worker, and a
    failed attempt queues the retry for its time; the sweep is queued once."""
    from piwarden.jobs.models import Job

    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(system_actor, receiver)
    queued = Job.objects.filter(task_path=tasks.deliver_message.module_path)
    assert [job.args for job in queued] == [[str(message.pk)]]
    assert receiver.received == []  # the worker sends it, not the transaction
    with django_capture_on_commit_callbacks(execute=True):
        services.deliver(message_id=message.pk)
    message.refresh_from_db()
    assert len(receiver.received) == 1 and message.status == MessageStatus.PENDING
    assert message.next_attempt_at in {task.run_after for task in queued.all()}
    assert message.next_attempt_at > timezone.now()
    assert tasks.ensure_scheduled() is True and tasks.ensure_scheduled() is False
