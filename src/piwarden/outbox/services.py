"""The only writers of the outbox: queue a message in the caller's transaction, deliver it after
the commit, retry it, give up on it.

Delivery never holds a database transaction over the network: an attempt is claimed (its
``next_attempt_at`` pushed past a lease, so a second worker or the sweep leaves it alone), the
request is made, then the outcome is written. A worker killed mid-request leaves the claim to
expire and the sweep tries again; the receiver drops the repeat by its ``Idempotency-Key``.
"""

import datetime
import json
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from piwarden.alerts import services as alerts
from piwarden.alerts.models import Severity
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.errors import ServiceError
from piwarden.outbox.models import Channel, Message, MessageStatus
from piwarden.sharing import egress
from piwarden.vault import fields as vault_fields

DELIVERY = Actor.system("outbox.delivery")
LEASE = datetime.timedelta(minutes=5)
MAX_BACKOFF = datetime.timedelta(hours=1)
MAX_PAYLOAD_BYTES = 16 * 1024
TIMEOUT_SECONDS = 10
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


def enqueue(*, actor: Actor, destination: str, payload: dict, concerns: models.Model,
            idempotency_key: str = "", channel: str = Channel.WEBHOOK,
            subject=None) -> Message:
    """Queue a message in the caller's transaction; it is sent once that commits.

    ``concerns`` is the object the message is about (a deletion request). The same
    ``idempotency_key`` queued twice returns the first message, so a rerun of the caller
    sends nothing twice. ``subject`` only names the person in the audit record.
    """
    if not connection.in_atomic_block:
        raise OutboxError("NOT_IN_TRANSACTION", "enqueue() runs inside the caller's "
                          "transaction, so the message commits or rolls back with its cause")
    if channel != Channel.WEBHOOK:
        raise OutboxError("CHANNEL_UNKNOWN", f"There is no channel '{channel}' yet.")
    if urlsplit(destination).scheme not in ("http", "https") or not host_of(destination):
        raise OutboxError("DESTINATION_INVALID", "A webhook needs an http(s) URL.")
    if not isinstance(payload, dict):
        raise OutboxError("PAYLOAD_INVALID", "The payload is a JSON object.")
    _check_payload(payload, "payload", {field.name for field in vault_fields.all_fields()})
    key = idempotency_key or uuid.uuid4().hex
    existing = Message.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if len(json.dumps(payload)) > MAX_PAYLOAD_BYTES:
        raise OutboxError("PAYLOAD_TOO_LARGE", "A message carries references, not documents.")
    message = Message.objects.create(
        channel=channel, destination=destination, payload=payload, idempotency_key=key,
        concerns_type=concerns._meta.label_lower, concerns_id=str(concerns.pk),
        queued_by=str(actor))
    audit.record(actor=actor, action="outbox.queued", subject=subject, obj=message,
                 detail={"channel": channel, "host": host_of(destination),
                         "type": str(payload.get("type", "")),
                         "concerns": f"{message.concerns_type}:{message.concerns_id}"})
    pk = message.pk
    transaction.on_commit(lambda: _schedule(pk))
    return message


def _schedule(pk, at: datetime.datetime | None = None) -> None:
    from piwarden.outbox.tasks import deliver_message

    if at is None:
        deliver_message.enqueue(str(pk))
    elif deliver_message.get_backend().supports_defer:
        deliver_message.using(run_after=at).enqueue(str(pk))
    # else: a backend that cannot defer leaves the retry to the sweep (``deliver_due``)


def _claim(pk, now: datetime.datetime) -> Message | None:
    """Take one due attempt (None when it is not due, sent, failed or claimed elsewhere)."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=pk).first()
        if (message is None or message.status != MessageStatus.PENDING
                or message.next_attempt_at > now):
            return None
        message.attempts += 1
        message.next_attempt_at = now + LEASE
        message.save(update_fields=["attempts", "next_attempt_at"])
    return message


def _post(message: Message) -> tuple[str, int | None, bool]:
    """One attempt through egress control: (error code or "", HTTP status, worth retrying)."""
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


def deliver(*, message_id, now: datetime.datetime | None = None) -> Message:
    """Make one attempt at a due message and record the outcome; a message that is not due
    (or is claimed by another worker) is returned as it is."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return Message.objects.get(pk=message_id)
    error, code, retry = _post(message)
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        message.last_error = error
        detail = {"host": host_of(message.destination), "attempt": message.attempts,
                  "status_code": code, "error": error,
                  "concerns": f"{message.concerns_type}:{message.concerns_id}"}
        if not error:
            message.status, message.sent_at = MessageStatus.SENT, timezone.now()
            message.save(update_fields=["status", "sent_at", "last_error"])
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
            message.save(update_fields=["status", "last_error"])
            audit.record(actor=DELIVERY, action="outbox.failed", obj=message,
                         outcome=Outcome.FAILED, detail=detail)
            if error != "EGRESS_REFUSED":  # egress control raised its own alert
                _alert(message, detail)
    return message


def _alert(message: Message, detail: dict) -> None:
    alerts.raise_alert(
        kind="outbox.delivery_failed", severity=Severity.HIGH, source="outbox.delivery",
        actor=DELIVERY,
        summary=f"A {message.get_channel_display().lower()} to {detail['host']} failed "
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
    and the same idempotency key."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status == MessageStatus.SENT:
        raise OutboxError("ALREADY_SENT", "This message was sent already.", status=409)
    previous = {"status": message.status, "attempts": message.attempts,
                "error": message.last_error}
    message.status, message.attempts = MessageStatus.PENDING, 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit.record(actor=actor, action="outbox.retry_requested", obj=message, detail=previous)
    pk = message.pk
    transaction.on_commit(lambda: _schedule(pk))
    return message
