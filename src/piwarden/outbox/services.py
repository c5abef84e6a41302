"""The only writers of the outbox: queue a message in the caller's transaction, deliver it after
the commit, retry it, give up on it. Three channels: webhooks (``enqueue``), e-mail
(``enqueue_email``) and SMS (``enqueue_sms``).

Delivery never holds a database transaction over the network: an attempt is claimed (its
``next_attempt_at`` pushed past a lease by a conditional update, so a second worker or the
sweep leaves it alone), the message is sent through egress control, then the outcome is
written at once. A worker killed mid-send leaves the claim to expire and the sweep tries
again; the receiver drops the repeat by its ``Idempotency-Key`` (webhooks) or ``Message-ID``
(e-mail).

E-mail and SMS carry an address or number and a text: they are sealed until sent
(``outbox.sealing``) and wiped when the message is sent or given up.
"""

import datetime
import hashlib
import json
import smtplib
import uuid
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from piwarden.accounts import sms
from piwarden.alerts import services as alerts
from piwarden.alerts.models import Severity
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.errors import ServiceError
from piwarden.outbox import sealing
from piwarden.outbox.models import Channel, Message, MessageStatus
from piwarden.sharing import egress
from piwarden.vault import fields as vault_fields
from piwarden.vault.errors import VaultError

DELIVERY = Actor.system("outbox.delivery")
LEASE = datetime.timedelta(minutes=5)
MAX_BACKOFF = datetime.timedelta(hours=1)
MAX_PAYLOAD_BYTES = 16 * 1024
TIMEOUT_SECONDS = 10
MAIL_TIMEOUT_SECONDS = 30  # one SMTP session; well inside the lease
MAX_SUBJECT_CHARS = 200
MAX_BODY_BYTES = 64 * 1024
MAX_SMS_CHARS = 480
MAX_KEY_CHARS = Message._meta.get_field("idempotency_key").max_length
# Staff alert mail that fails raises no alert of its own: that alert would be mailed to the
# same staff through the same failing server, and so on.
NO_FAILURE_ALERT_SOURCES = {"alerts.notify"}
# Answers worth retrying: the receiver is busy or failing, not refusing the message.
RETRY_STATUSES = {408, 425, 429}


class OutboxError(ServiceError):
    def __init__(self, code: str, message: str, *, status: int = 422):
        super().__init__(code, message, status=status)


def max_attempts() -> int:
    return getattr(settings, "PIWARDEN_OUTBOX_MAX_ATTEMPTS", 8)


def backoff_seconds() -> int:
    """The wait after the first failed attempt; it doubles after each one (up to an hour)."""
    return getattr(settings, "PIWARDEN_OUTBOX_BACKOFF_SECONDS", 30)


def backoff(attempts: int) -> datetime.timedelta:
    wait = datetime.timedelta(seconds=backoff_seconds() * 2 ** max(attempts - 1, 0))
    return min(wait, MAX_BACKOFF)


def _check_payload(value, path: str, pi_names: set[str]) -> None:
    """Plain JSON without floats, and no key named like a vault field (``phone``, ``email``,
    ``name`` …): a guard against PI values slipping into a message."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise OutboxError("PAYLOAD_INVALID", f"{path}: keys must be strings")
            if key.lower() in pi_names:
                raise OutboxError("PI_IN_PAYLOAD", f"{path}.{key}: a message carries "
                                  "references, never PI values")
            _check_payload(item, f"{path}.{key}", pi_names)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_payload(item, f"{path}[{index}]", pi_names)
    elif not (value is None or isinstance(value, str | int | bool)):
        raise OutboxError("PAYLOAD_INVALID", f"{path}: {type(value).__name__} is not allowed")


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def mail_message_id(idempotency_key: str) -> str:
    """The ``Message-ID`` header of an e-mail: the same for every attempt of one message, so a
    receiver can drop a repeat; a digest, so the key's internal ids do not leave."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "piwarden.invalid"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}.outbox@{domain}>"


def _in_transaction() -> None:
    if not connection.in_atomic_block:
        raise OutboxError("NOT_IN_TRANSACTION", "enqueue() runs inside the caller's "
                          "transaction, so the message commits or rolls back with its cause")


def _key(idempotency_key: str) -> str:
    if len(idempotency_key) > MAX_KEY_CHARS:
        raise OutboxError("KEY_INVALID", f"An idempotency key has at most {MAX_KEY_CHARS} "
                          "characters.")
    return idempotency_key or uuid.uuid4().hex


def _create(*, actor: Actor, key: str, person, concerns: models.Model | None, detail: dict,
            content: dict | None = None, **columns) -> Message:
    """Write the message and its audit record (``outbox.queued``); send once committed. The
    same key queued again, here or by a concurrent transaction, returns the first message."""
    existing = Message.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    message = Message(id=uuid.uuid4(), idempotency_key=key, queued_by=str(actor),
                      subject_id=person.pk if person is not None else None, **columns)
    if concerns is not None:
        message.concerns_type = concerns._meta.label_lower
        message.concerns_id = str(concerns.pk)
    if content is not None:
        for column, value in sealing.seal(message.id, content).items():
            setattr(message, column, value)
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:  # the same key, committed meanwhile by another transaction
        existing = Message.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing
    audit.record(actor=actor, action="outbox.queued", subject=person, obj=message,
                 detail={"channel": message.channel, **detail,
                         "concerns": f"{message.concerns_type}:{message.concerns_id}"})
    pk = message.pk
    transaction.on_commit(lambda: _schedule(pk))
    return message


def enqueue(*, actor: Actor, destination: str, payload: dict, concerns: models.Model,
            idempotency_key: str = "", channel: str = Channel.WEBHOOK,
            subject=None) -> Message:
    """Queue a webhook in the caller's transaction; it is sent once that commits.

    ``concerns`` is the object the message is about (a deletion request). The same
    ``idempotency_key`` queued twice returns the first message, so a rerun of the caller
    sends nothing twice. ``subject`` names the person in the row and the audit record. E-mail
    and SMS have their own entry points (``enqueue_email``, ``enqueue_sms``).
    """
    _in_transaction()
    if channel != Channel.WEBHOOK:
        raise OutboxError("CHANNEL_UNKNOWN", f"enqueue() queues webhooks; '{channel}' has its "
                          "own entry point (enqueue_email, enqueue_sms).")
    if urlsplit(destination).scheme not in ("http", "https") or not host_of(destination):
        raise OutboxError("DESTINATION_INVALID", "A webhook needs an http(s) URL.")
    if not isinstance(payload, dict):
        raise OutboxError("PAYLOAD_INVALID", "The payload is a JSON object.")
    _check_payload(payload, "payload", {field.name for field in vault_fields.all_fields()})
    key = _key(idempotency_key)
    if len(json.dumps(payload)) > MAX_PAYLOAD_BYTES:
        raise OutboxError("PAYLOAD_TOO_LARGE", "A message carries references, not documents.")
    kind = str(payload.get("type", ""))[:64]
    return _create(actor=actor, key=key, person=subject, concerns=concerns,
                   detail={"host": host_of(destination), "type": kind},
                   channel=Channel.WEBHOOK, kind=kind, destination=destination,
                   payload=payload)


def _audience(audience) -> egress.Audience:
    try:
        return egress.Audience(audience)
    except ValueError:
        raise OutboxError("AUDIENCE_INVALID", f"'{audience}' is not an audience: "
                          f"{', '.join(egress.Audience)}.") from None


def _names(*, source: str, kind: str) -> tuple[str, str]:
    if not source or len(source) > 64 or len(kind) > 64:
        raise OutboxError("SOURCE_INVALID", "A message names its source (and kind) in at most "
                          "64 characters.")
    return source, kind or source


@sensitive_variables("to", "subject", "body")
def enqueue_email(*, actor: Actor, to: list[str], subject: str, body: str, audience,
                  source: str, kind: str = "", concerns: models.Model | None = None,
                  person=None, idempotency_key: str = "") -> Message:
    """Queue an e-mail in the caller's transaction; it is sent once that commits.

    ``audience`` (``egress.Audience``: person, staff, other) is declared by the calling code
    and checked by egress control when the mail leaves. ``source`` names the calling code
    (egress names it in a refusal), ``kind`` what the message is (default: the source).
    ``concerns`` is the object it is about, ``person`` the data subject it is to or about (the
    audit record and the row name them: rights requests find it, ``subject_data``). The
    addresses, subject line and text are kept sealed until the mail is sent or given up, then
    wiped. The same ``idempotency_key`` queued twice returns the first message; the e-mail's
    ``Message-ID`` is derived from it.
    """
    _in_transaction()
    audience = _audience(audience)
    source, kind = _names(source=source, kind=kind)
    if isinstance(to, str) or not to or not all(
            isinstance(a, str) and "@" in parseaddr(a)[1] and not set(a) & {"\r", "\n"}
            for a in to):
        raise OutboxError("RECIPIENTS_INVALID", "An e-mail goes to a list of addresses.")
    if audience == egress.Audience.PERSON and len(to) != 1:
        raise OutboxError("RECIPIENTS_INVALID", "An e-mail to the person goes to one address.")
    if (not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT_CHARS
            or set(subject) & {"\r", "\n"}):
        raise OutboxError("SUBJECT_INVALID", f"A subject line is one line of at most "
                          f"{MAX_SUBJECT_CHARS} characters.")
    if not isinstance(body, str) or len(body.encode()) > MAX_BODY_BYTES:
        raise OutboxError("BODY_INVALID", "The text of an e-mail is at most 64 KB.")
    return _create(actor=actor, key=_key(idempotency_key), person=person, concerns=concerns,
                   detail={"kind": kind, "audience": audience.value, "recipients": len(to)},
                   content={"to": list(to), "subject": subject, "body": body},
                   channel=Channel.EMAIL, kind=kind, audience=audience.value, source=source)


@sensitive_variables("to", "text")
def enqueue_sms(*, actor: Actor, to: str, text: str, audience, source: str, kind: str = "",
                concerns: models.Model | None = None, person=None,
                idempotency_key: str = "") -> Message:
    """Queue an SMS in the caller's transaction; it is sent once that commits.

    As ``enqueue_email``, for one phone number. Egress control lets an SMS go to the person
    themself only: a message queued for another audience is refused when it would leave.
    """
    _in_transaction()
    audience = _audience(audience)
    source, kind = _names(source=source, kind=kind)
    if not isinstance(to, str) or not to.strip() or set(to) & {"\r", "\n"}:
        raise OutboxError("RECIPIENTS_INVALID", "An SMS goes to one phone number.")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_SMS_CHARS:
        raise OutboxError("BODY_INVALID", f"The text of an SMS is at most {MAX_SMS_CHARS} "
                          "characters.")
    return _create(actor=actor, key=_key(idempotency_key), person=person, concerns=concerns,
                   detail={"kind": kind, "audience": audience.value, "recipients": 1},
                   content={"to": to, "text": text},
                   channel=Channel.SMS, kind=kind, audience=audience.value, source=source)


def _schedule(pk, at: datetime.datetime | None = None) -> None:
    from piwarden.outbox.tasks import deliver_message

    if at is None:
        deliver_message.enqueue(str(pk))
    elif deliver_message.get_backend().supports_defer:
        deliver_message.using(run_after=at).enqueue(str(pk))
    # else: a backend that cannot defer leaves the retry to the sweep (``deliver_due``)


def _claim(pk, now: datetime.datetime) -> Message | None:
    """Take one due attempt (None when it is not due, sent, failed or claimed elsewhere).

    One conditional update: of two workers (or a worker and the sweep) only one matches the
    row while it is pending and due, on SQLite as on PostgreSQL."""
    claimed = (Message.objects.filter(pk=pk, status=MessageStatus.PENDING,
                                      next_attempt_at__lte=now)
               .update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE))
    return Message.objects.filter(pk=pk).first() if claimed else None


# --- senders: one attempt each, returning (error code or "", HTTP status, worth retrying) ----

def _post(message: Message) -> tuple[str, int | None, bool]:
    """A webhook: the JSON payload POSTed through egress control."""
    try:
        response = egress.post(message.destination, actor=DELIVERY, timeout=TIMEOUT_SECONDS,
                               json=message.payload,
                               headers={"Idempotency-Key": message.idempotency_key})
    except egress.EgressRefused:
        return "EGRESS_REFUSED", None, False
    except egress.DeliveryError as error:
        return error.code, None, error.retryable
    code = response.status_code
    if 200 <= code < 300:
        return "", code, False
    return f"HTTP_{code}", code, code >= 500 or code in RETRY_STATUSES


def _smtp_outcome(code: int) -> tuple[str, int | None, bool]:
    """A 4xx answer is a temporary refusal (retry); 5xx is final."""
    return f"SMTP_{code}", None, 400 <= code < 500


@sensitive_variables("content")
def _mail(message: Message) -> tuple[str, int | None, bool]:
    """An e-mail: through ``egress.send_mail`` (the egress backend checks the audience), with
    the ``Message-ID`` of the message's idempotency key."""
    content = sealing.open_content(message)
    try:
        egress.send_mail(content["subject"], content["body"], content["to"],
                         audience=egress.Audience(message.audience), source=message.source,
                         headers={"Message-ID": mail_message_id(message.idempotency_key)},
                         timeout=MAIL_TIMEOUT_SECONDS)
    except egress.EgressRefused:
        return "EGRESS_REFUSED", None, False
    except smtplib.SMTPRecipientsRefused as error:
        return _smtp_outcome(min(code for code, _text in error.recipients.values()))
    except smtplib.SMTPResponseException as error:
        return _smtp_outcome(error.smtp_code)
    except (smtplib.SMTPException, OSError) as error:  # disconnected, refused, timed out
        return type(error).__name__[:64], None, True
    return "", None, False


@sensitive_variables("content")
def _sms(message: Message) -> tuple[str, int | None, bool]:
    """An SMS: through ``accounts.sms.send_sms`` (egress lets only the person receive one),
    with the idempotency key for gateways that take a client reference."""
    content = sealing.open_content(message)
    try:
        sms.send_sms(content["to"], content["text"], audience=egress.Audience(message.audience),
                     source=message.source, idempotency_key=message.idempotency_key)
    except egress.EgressRefused:
        return "EGRESS_REFUSED", None, False
    except egress.DeliveryError as error:
        return error.code, None, error.retryable
    except OSError as error:
        return type(error).__name__[:64], None, True
    return "", None, False


SENDERS = {Channel.WEBHOOK: _post, Channel.EMAIL: _mail, Channel.SMS: _sms}


def _attempt(message: Message) -> tuple[str, int | None, bool]:
    if message.attempts > max_attempts():
        # The earlier attempts ended without an outcome (a worker killed mid-send): give up
        # rather than claim again every time the lease runs out.
        return "ABANDONED", None, False
    if message.channel != Channel.WEBHOOK and not message.has_content:
        return "CONTENT_WIPED", None, False
    try:
        return SENDERS[message.channel](message)
    except VaultError:  # its master key version is gone, or the row was tampered with
        return "CONTENT_UNREADABLE", None, False


def _detail(message: Message, code: int | None, error: str) -> dict:
    """What the audit records and the alert say about an attempt: no address, no text."""
    where = ({"host": host_of(message.destination), "status_code": code}
             if message.channel == Channel.WEBHOOK else
             {"channel": message.channel, "kind": message.kind, "audience": message.audience})
    return {**where, "attempt": message.attempts, "error": error,
            "concerns": f"{message.concerns_type}:{message.concerns_id}"}


def deliver(*, message_id, now: datetime.datetime | None = None) -> Message:
    """Make one attempt at a due message and record the outcome; a message that is not due
    (or is claimed by another worker) is returned as it is.

    The outcome is written as soon as the sender returns: a message is marked sent right after
    the receiver, the SMTP server or the SMS gateway accepted it.
    """
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return Message.objects.get(pk=message_id)
    error, code, retry = _attempt(message)
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        message.last_error = error
        detail = _detail(message, code, error)
        if not error:
            message.status, message.sent_at = MessageStatus.SENT, timezone.now()
            _wipe(message)
            message.save(update_fields=["status", "sent_at", "last_error", *sealing.WIPED])
            audit.record(actor=DELIVERY, action="outbox.sent", obj=message, detail=detail)
        elif retry and message.attempts < max_attempts():
            message.next_attempt_at = now + backoff(message.attempts)
            message.save(update_fields=["next_attempt_at", "last_error"])
            audit.record(actor=DELIVERY, action="outbox.retry_scheduled", obj=message,
                         outcome=Outcome.FAILED,
                         detail={**detail, "next_attempt_at": message.next_attempt_at.isoformat()})
            pk, at = message.pk, message.next_attempt_at
            transaction.on_commit(lambda: _schedule(pk, at))
        else:
            message.status = MessageStatus.FAILED
            _wipe(message)
            message.save(update_fields=["status", "last_error", *sealing.WIPED])
            audit.record(actor=DELIVERY, action="outbox.failed", obj=message,
                         outcome=Outcome.FAILED, detail=detail)
            # egress control raised its own alert; failed staff alert mail raises none
            if error != "EGRESS_REFUSED" and message.source not in NO_FAILURE_ALERT_SOURCES:
                _alert(message, detail)
    return message


def _wipe(message: Message) -> None:
    """Forget an e-mail's or SMS's addresses and text, and the key that opened them."""
    for column, value in sealing.WIPED.items():
        setattr(message, column, value)


def _alert(message: Message, detail: dict) -> None:
    where = (f"to {detail['host']}" if message.channel == Channel.WEBHOOK
             else f"({message.kind}, to {message.audience})")
    alerts.raise_alert(
        kind="outbox.delivery_failed", severity=Severity.HIGH, source="outbox.delivery",
        actor=DELIVERY,
        summary=f"A {message.get_channel_display().lower()} {where} failed "
                f"{message.attempts} time(s) and was given up ({message.last_error}).",
        detail=detail, objects=[message])


def deliver_due(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Attempt every pending message whose time has come (the sweep); returns how many were
    attempted."""
    now = now or timezone.now()
    due = list(Message.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for pk in due:
        deliver(message_id=pk, now=now)
    return len(due)


@transaction.atomic
def retry_now(*, actor: Actor, message: Message) -> Message:
    """Staff send a failed (or waiting) message again at once, with a fresh set of attempts
    and the same idempotency key. A failed e-mail or SMS cannot be: its address and text were
    wiped when it was given up (the person asks for a new code, the caller queues anew)."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status == MessageStatus.SENT:
        raise OutboxError("ALREADY_SENT", "This message was sent already.", status=409)
    if message.channel != Channel.WEBHOOK and not message.has_content:
        raise OutboxError("CONTENT_WIPED", "This message's address and text were wiped when "
                          "it was given up; it cannot be sent again.", status=409)
    previous = {"status": message.status, "attempts": message.attempts,
                "error": message.last_error}
    message.status, message.attempts = MessageStatus.PENDING, 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit.record(actor=actor, action="outbox.retry_requested", obj=message, detail=previous)
    pk = message.pk
    transaction.on_commit(lambda: _schedule(pk))
    return message


# The bulk entry points (notification campaigns) live in their own module; named here too.
from piwarden.outbox.bulk_enqueue import (  # noqa: E402, F401
    enqueue_many_email,
    enqueue_many_sms,
)
