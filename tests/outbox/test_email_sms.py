"""E-mail and SMS through the outbox: queued in the caller's transaction with the address and
text sealed, sent once after the commit through egress control (a real local SMTP server, the
SMS file backend), retried with back-off, given up with an alert, and wiped once sent or failed.
"""

import socket
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.outbox import sealing, services, tasks
from piwarden.outbox.models import Channel, Message, MessageStatus
from piwarden.vault.errors import DecryptionFailed
from tests.staff import staff_client

ACTOR = Actor.system("tests.outbox")
ADDRESS = "mei.lin.quasar@mail.example.net"
PHONE = "+8613912345678"
SUBJECT = "Your piwarden verification code"
BODY = "Your verification code is TOPAZ-HERON-7731. It expires in 10 minutes."
SMS_TEXT = "Your code is OSPREY-LANTERN-4402."


def queue_email(*, key: str = "", to=(ADDRESS,), audience: str = "person",
                source: str = "tests.outbox") -> Message:
    with transaction.atomic():
        return services.enqueue_email(actor=ACTOR, to=list(to), subject=SUBJECT, body=BODY,
                                      audience=audience, source=source, kind="tests.code",
                                      idempotency_key=key)


def queue_sms(*, key: str = "", audience: str = "person") -> Message:
    with transaction.atomic():
        return services.enqueue_sms(actor=ACTOR, to=PHONE, text=SMS_TEXT, audience=audience,
                                    source="tests.outbox", kind="tests.code",
                                    idempotency_key=key)


def raw_rows() -> list[dict]:
    """The outbox table as the database holds it (no model, no decryption)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM outbox_message")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _plain(value) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def plaintext_in_database(*needles: str) -> list[str]:
    """Every ``table.column`` of the whole database whose raw value contains one of
    ``needles`` (read with SQL, as a copy of the database would be)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    raw = _plain(value)
                    found += [f"{table}.{name}" for needle in needles
                              if needle.encode() in raw]
    return found


pytestmark = pytest.mark.django_db


def test_an_email_leaves_once_after_the_commit_with_its_message_id(
        smtp, immediate_tasks, django_capture_on_commit_callbacks):
    """Nothing leaves inside the transaction; after the commit the SMTP server gets one mail
    whose Message-ID is derived from the idempotency key, and the message is sent."""
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email(key="tests.code.1")
        assert smtp.received == []
    message.refresh_from_db()
    assert (message.channel, message.status, message.attempts) == (
        Channel.EMAIL, MessageStatus.SENT, 1)
    [got] = smtp.received
    assert got["to"] == [ADDRESS]
    assert got["message"]["Subject"] == SUBJECT and BODY in got["message"].get_content()
    assert got["message"]["Message-ID"] == services.mail_message_id("tests.code.1")
    assert got["message"]["Message-ID"].endswith("@operator.example>")
    assert "tests.code.1" not in got["message"]["Message-ID"]
    assert list(AuditEvent.objects.filter(object_id=str(message.pk))
                .values_list("action", flat=True)) == ["outbox.queued", "outbox.sent"]


def test_queueing_the_same_email_or_sms_twice_sends_once(
        smtp, sms_file, immediate_tasks, django_capture_on_commit_callbacks):
    """A caller that runs twice (a retried task) queues the same key twice: one message,
    one mail, one SMS. The SMS gateway gets the key too, to drop a repeat of its own."""
    with django_capture_on_commit_callbacks(execute=True):
        first_mail = queue_email(key="tests.notice.7.completed")
        first_sms = queue_sms(key="tests.notice.7.sms")
    with django_capture_on_commit_callbacks(execute=True):
        again_mail = queue_email(key="tests.notice.7.completed")
        again_sms = queue_sms(key="tests.notice.7.sms")
    assert (again_mail.pk, again_sms.pk) == (first_mail.pk, first_sms.pk)
    assert Message.objects.count() == 2
    assert len(smtp.received) == 1
    [line] = sms_file.lines()
    assert (line["to"], line["text"], line["idempotency_key"]) == (
        PHONE, SMS_TEXT, "tests.notice.7.sms")
    assert AuditEvent.objects.filter(action="outbox.queued").count() == 2


def test_running_the_delivery_task_twice_sends_once(smtp, sms_file,
                                                     django_capture_on_commit_callbacks):
    """The task worker runs the delivery of one message twice (a retry after a crash): the
    second run finds it sent and sends nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        mail_message, sms_message = queue_email(), queue_sms()
    for message in (mail_message, sms_message):
        assert tasks.deliver_message.call(str(message.pk)) == MessageStatus.SENT
        assert tasks.deliver_message.call(str(message.pk)) == MessageStatus.SENT
    assert len(smtp.received) == 1 and len(sms_file.lines()) == 1
    assert AuditEvent.objects.filter(action="outbox.sent").count() == 2


def test_a_worker_killed_mid_send_leaves_the_message_to_the_sweep(
        smtp, django_capture_on_commit_callbacks):
    """A worker claimed the attempt and died before writing the outcome: while its lease
    runs, other workers leave the message alone; after it, the sweep sends it, with the same
    Message-ID (a receiver that got the first one drops the repeat)."""
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email(key="tests.code.killed")
    now = timezone.now()
    # what the dead worker's claim wrote
    Message.objects.filter(pk=message.pk).update(attempts=1,
                                                 next_attempt_at=now + services.LEASE)
    assert tasks.deliver_message.call(str(message.pk)) == MessageStatus.PENDING
    assert services.deliver_due(now=now + timedelta(minutes=1)) == 0
    assert smtp.received == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliver_due(now=now + services.LEASE) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    [got] = smtp.received
    assert got["message"]["Message-ID"] == services.mail_message_id("tests.code.killed")


def test_a_failing_smtp_server_is_retried_with_back_off_then_given_up_with_an_alert(
        smtp, settings, immediate_tasks, django_capture_on_commit_callbacks):
    """The SMTP server answers "451 try again later" three times: the message waits its
    back-off after each, carries the same Message-ID every time, and after the last attempt
    fails, raises an alert that names no address, and forgets the address and text."""
    settings.PIWARDEN_OUTBOX_MAX_ATTEMPTS = 3
    settings.PIWARDEN_OUTBOX_BACKOFF_SECONDS = 30
    smtp.answers = ["451 4.3.0 Try again later"] * 3
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email(key="tests.code.retry")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.PENDING, 1, "SMTP_451")
    assert message.has_content
    first_try = message.next_attempt_at - services.backoff(1)
    assert services.backoff(1) == timedelta(seconds=30)
    assert services.deliver_due(now=first_try + timedelta(seconds=29)) == 0  # not due yet
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliver_due(now=message.next_attempt_at) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 2)
    second_try = message.next_attempt_at - services.backoff(2)
    assert services.backoff(2) == timedelta(seconds=60)
    assert services.deliver_due(now=second_try + timedelta(seconds=59)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliver_due(now=message.next_attempt_at) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.FAILED, 3, "SMTP_451")
    assert not message.has_content and message.key_version is None
    assert {got["message"]["Message-ID"] for got in smtp.received} == {
        services.mail_message_id("tests.code.retry")} and len(smtp.received) == 3
    alert = Alert.objects.get(kind="outbox.delivery_failed")
    assert alert.objects_concerned == [f"outbox.message:{message.pk}"]
    assert "e-mail" in alert.summary and "SMTP_451" in alert.summary
    assert ADDRESS not in alert.summary + str(alert.detail)
    assert "mail.example.net" not in alert.summary + str(alert.detail)
    assert list(AuditEvent.objects.filter(object_id=str(message.pk))
                .values_list("action", flat=True)) == [
        "outbox.queued", "outbox.retry_scheduled", "outbox.retry_scheduled", "outbox.failed"]
    with pytest.raises(services.OutboxError) as wiped:  # nothing left to send again
        services.retry_now(actor=ACTOR, message=message)
    assert wiped.value.code == "CONTENT_WIPED"


def test_a_final_smtp_refusal_fails_at_once_and_staff_alert_mail_raises_no_alert(
        smtp, immediate_tasks, django_user_model, django_capture_on_commit_callbacks):
    """550 is final: no retry. A person's mail that fails raises an alert; the staff mail of
    an alert that fails raises none (it would go to the same staff through the same server)."""
    django_user_model.objects.create_user("officer", "officer@operator.example", "x",
                                          is_staff=True)
    smtp.answers = ["550 5.1.1 Mailbox unavailable"] * 2
    with django_capture_on_commit_callbacks(execute=True):
        person_mail = queue_email()
        staff_mail = queue_email(to=["officer@operator.example"], audience="staff",
                                 source="alerts.notify")
    for message in (person_mail, staff_mail):
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (
            MessageStatus.FAILED, 1, "SMTP_550")
    assert [a.objects_concerned for a in Alert.objects.filter(
        kind="outbox.delivery_failed")] == [[f"outbox.message:{person_mail.pk}"]]


def unused_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_mail_server_that_cannot_be_reached_is_retried(
        smtp, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email()
    settings.EMAIL_PORT = unused_port()
    services.deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.PENDING, 1, "ConnectionRefusedError")
    assert message.has_content


def test_after_sending_no_address_number_or_text_remains(
        smtp, sms_file, immediate_tasks, django_capture_on_commit_callbacks):
    """Once sent, the rows keep channel, audience, kind, status, times and the key; the
    sealed content and its key are gone, and no column of any table holds the address, the
    number, the subject line or the text."""
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(key="tests.wipe.mail")
        queue_sms(key="tests.wipe.sms")
    rows = {row["idempotency_key"]: row for row in raw_rows()}
    assert set(rows) == {"tests.wipe.mail", "tests.wipe.sms"}
    for row in rows.values():
        assert row["status"] == "sent" and row["sent_at"] is not None
        assert (row["audience"], row["kind"]) == ("person", "tests.code")
        assert bytes(row["sealed"]) == b"" and bytes(row["wrapped_key"]) == b""
        assert row["key_version"] is None
        assert (row["destination"], row["concerns_type"], row["concerns_id"]) == ("", "", "")
    assert {row["channel"] for row in rows.values()} == {"email", "sms"}
    assert plaintext_in_database(ADDRESS, PHONE, PHONE[3:], SUBJECT, BODY, SMS_TEXT,
                                 "TOPAZ-HERON", "OSPREY-LANTERN") == []
    assert len(smtp.received) == 1 and len(sms_file.lines()) == 1


def test_a_queued_email_address_is_nowhere_in_the_database_in_plaintext(smtp):
    """While it waits, the e-mail's address, subject line and text exist only sealed: the raw
    database has none of them, the sealed column opens to them, and moved to another row it
    does not open."""
    message = queue_email(key="tests.sealed")
    assert message.status == MessageStatus.PENDING and smtp.received == []
    assert plaintext_in_database(ADDRESS, "mei.lin.quasar", SUBJECT, BODY, "TOPAZ-HERON") == []
    [row] = raw_rows()
    assert len(bytes(row["sealed"])) > len(ADDRESS) and bytes(row["wrapped_key"])
    assert sealing.open_content(message) == {"to": [ADDRESS], "subject": SUBJECT,
                                             "body": BODY}
    other = queue_sms(key="tests.other")
    other.sealed, other.wrapped_key = message.sealed, message.wrapped_key
    with pytest.raises(DecryptionFailed):
        sealing.open_content(other)


def test_an_sms_to_anyone_but_the_person_is_refused_by_egress_and_never_sent(
        sms_file, immediate_tasks, django_capture_on_commit_callbacks):
    """A phone number names no host a recipient could declare: an SMS queued for staff (or
    another party) is refused by egress control when it would leave, fails at once without
    retry, and only egress's own alert is raised."""
    with django_capture_on_commit_callbacks(execute=True):
        staff_sms = queue_sms(audience="staff")
        other_sms = queue_sms(audience="other", key="tests.other.sms")
    for message in (staff_sms, other_sms):
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (
            MessageStatus.FAILED, 1, "EGRESS_REFUSED")
        assert not message.has_content
    assert sms_file.lines() == []
    refusals = Alert.objects.filter(kind="egress.refused")
    assert [alert.detail["channel"] for alert in refusals] == ["sms", "sms"]
    assert {alert.source for alert in refusals} == {"system:tests.outbox"}
    assert not Alert.objects.filter(kind="outbox.delivery_failed").exists()


def test_queueing_refuses_what_could_not_be_sent_safely(smtp):
    for arguments, code in (
            ({"to": [ADDRESS, "b@mail.example.net"]}, "RECIPIENTS_INVALID"),  # person: one
            ({"to": ADDRESS}, "RECIPIENTS_INVALID"),  # a list, not a string
            ({"to": ["a@x.example\r\nBcc: c@x.example"]}, "RECIPIENTS_INVALID"),
            ({"subject": "Hi\nBcc: c@x.example"}, "SUBJECT_INVALID"),
            ({"audience": "partner"}, "AUDIENCE_INVALID"),
            ({"idempotency_key": "k" * 101}, "KEY_INVALID")):
        with pytest.raises(services.OutboxError) as refused, transaction.atomic():
            services.enqueue_email(**{"actor": ACTOR, "to": [ADDRESS], "subject": SUBJECT,
                                      "body": BODY, "audience": "person",
                                      "source": "tests.outbox", **arguments})
        assert refused.value.code == code
    with pytest.raises(services.OutboxError) as refused, transaction.atomic():
        services.enqueue_sms(actor=ACTOR, to=PHONE, text="x" * 481, audience="person",
                             source="tests.outbox")
    assert refused.value.code == "BODY_INVALID"
    with pytest.raises(services.OutboxError) as refused, transaction.atomic():
        services.enqueue(actor=ACTOR, destination="https://sms.example.cn/hook",
                         payload={"type": "test"}, concerns=Alert(pk=1), channel="email")
    assert refused.value.code == "CHANNEL_UNKNOWN"
    assert not Message.objects.exists()


def test_the_console_shows_channel_and_status_never_the_address_or_text(
        smtp, sms_file, django_capture_on_commit_callbacks):
    """Staff (even a superuser) see channel, kind, audience and status, and whether the
    content is still sealed or wiped; never the address, number or text."""
    waiting = queue_email(key="tests.console.mail")
    sent = queue_sms(key="tests.console.sms")
    services.deliver(message_id=sent.pk)
    viewer = staff_client("outbox", "view_message", name="viewer")
    viewer.user.is_superuser = True
    viewer.user.save(update_fields=["is_superuser"])
    pages = [viewer.get("/admin/outbox/message/"),
             viewer.get("/admin/outbox/message/?channel__exact=email"),
             viewer.get(f"/admin/outbox/message/{waiting.pk}/change/"),
             viewer.get(f"/admin/outbox/message/{sent.pk}/change/")]
    assert [page.status_code for page in pages] == [200] * 4
    listing, _filtered, waiting_page, sent_page = (page.content.decode() for page in pages)
    assert "E-mail" in listing and "SMS" in listing
    assert "Waiting to be sent" in listing and "Sent" in listing
    assert "sealed until sent" in waiting_page and "wiped" in sent_page
    for page in pages:
        text = page.content.decode()
        for secret in (ADDRESS, "mei.lin.quasar", PHONE, SUBJECT, "TOPAZ-HERON",
                       "OSPREY-LANTERN"):
            assert secret not in text
