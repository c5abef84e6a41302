"""The outbox's bulk entry points: many e-mails or SMS queued in one batch (notification
campaigns, a thousand people per call), re-exported from ``outbox.services``.

Each message is sealed under a data key of its own (``outbox.sealing``) as one queued by
``enqueue_email`` is; the rows are appended in one batch (``piwarden.bulk``: COPY on
PostgreSQL); one audit record names everyone (``subjects=``). A key queued before gives its
first message.
"""

import json
import re
import uuid
from email.utils import parseaddr

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from piwarden import bulk
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.outbox import sealing
from piwarden.outbox import services as outbox
from piwarden.outbox.models import Channel, Message, MessageStatus
from piwarden.sharing import egress

_PLAIN_ADDRESS = re.compile(r"[^@\s<>()\[\]\\,;:\"]+@[^@\s<>()\[\]\\,;:\"]+")


def _address_ok(address) -> bool:
    """``enqueue_email``'s check of one address; a plain ``local@domain`` (what a campaign
    sends to) passes without the cost of ``parseaddr``."""
    if not isinstance(address, str) or set(address) & {"\r", "\n"}:
        return False
    return bool(_PLAIN_ADDRESS.fullmatch(address)) or "@" in parseaddr(address)[1]


def _check_email(to, subject, body, audience) -> None:
    if isinstance(to, str) or not to or not all(_address_ok(a) for a in to):
        raise outbox.OutboxError("RECIPIENTS_INVALID", "An e-mail goes to a list of addresses.")
    if audience == egress.Audience.PERSON and len(to) != 1:
        raise outbox.OutboxError("RECIPIENTS_INVALID",
                                 "An e-mail to the person goes to one address.")
    if (not isinstance(subject, str) or not subject.strip()
            or len(subject) > outbox.MAX_SUBJECT_CHARS or set(subject) & {"\r", "\n"}):
        raise outbox.OutboxError("SUBJECT_INVALID", "A subject line is one line of at most "
                                 f"{outbox.MAX_SUBJECT_CHARS} characters.")
    if not isinstance(body, str) or len(body.encode()) > outbox.MAX_BODY_BYTES:
        raise outbox.OutboxError("BODY_INVALID", "The text of an e-mail is at most 64 KB.")


def _check_sms(to, text) -> None:
    if not isinstance(to, str) or not to.strip() or set(to) & {"\r", "\n"}:
        raise outbox.OutboxError("RECIPIENTS_INVALID", "An SMS goes to one phone number.")
    if not isinstance(text, str) or not text.strip() or len(text) > outbox.MAX_SMS_CHARS:
        raise outbox.OutboxError("BODY_INVALID", "The text of an SMS is at most "
                                 f"{outbox.MAX_SMS_CHARS} characters.")


def _person_id(person):
    return getattr(person, "pk", person)


_BULK_CONSTANT = ("channel", "kind", "audience", "source", "destination", "payload", "status",
                  "attempts", "next_attempt_at", "last_error", "concerns_type", "concerns_id",
                  "queued_by", "created_at", "sent_at")
_BULK_COLUMNS = ("id", "idempotency_key", "subject", "sealed", "wrapped_key", "key_version",
                 *_BULK_CONSTANT)


def _existing_keys(keys: list[str], connection) -> dict:
    """``{idempotency_key: message id}`` of the keys already queued (one query)."""
    table = connection.ops.quote_name(Message._meta.db_table)
    if connection.vendor == "postgresql":
        where, params = "idempotency_key = ANY(%s)", [keys]
    else:
        where, params = "idempotency_key IN (SELECT value FROM json_each(%s))", [json.dumps(keys)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT idempotency_key, id FROM {table} WHERE {where}",  # noqa: S608
                       params)
        return {key: bulk.as_uuid(pk) for key, pk in cursor.fetchall()}


@sensitive_variables("messages", "contents")
def _create_many(*, actor: Actor, channel: str, messages: list[dict], contents: list[dict],
                 audience: egress.Audience, source: str, kind: str,
                 concerns: models.Model | None) -> list[uuid.UUID]:
    """Append the messages whose keys are new in one batch (``piwarden.bulk``: COPY on
    PostgreSQL), with one audit record naming everyone (``subjects=``); a key queued before
    gives its first message. A concurrent transaction committing one of the keys meanwhile
    sends the batch through ``_create``, message by message."""
    keys = [outbox._key(m.get("idempotency_key", "")) for m in messages]
    if len(set(keys)) != len(keys):
        raise outbox.OutboxError("KEY_INVALID",
                                 "Each message of a batch has its own idempotency key.")
    connection = transaction.get_connection()
    existing = _existing_keys(keys, connection) if keys else {}
    concerns_type = concerns._meta.label_lower if concerns is not None else ""
    concerns_id = str(concerns.pk) if concerns is not None else ""
    now, field = timezone.now(), Message._meta.get_field
    constant = tuple(field(name).get_db_prep_save(value, connection) for name, value in zip(
        _BULK_CONSTANT, (str(channel), kind, audience.value, source, "", {},
                         MessageStatus.PENDING.value,
                         0, now, "", concerns_type, concerns_id, str(actor), now, None),
        strict=True))
    id_field, subject_field = field("id"), field("subject")
    rows, made, people = [], {}, []
    for key, message, content in zip(keys, messages, contents, strict=True):
        if key in existing:
            continue
        pk, person = uuid.uuid4(), _person_id(message.get("person"))
        sealed = sealing.seal(pk, content)
        rows.append((id_field.get_db_prep_save(pk, connection), key,
                     subject_field.get_db_prep_save(person, connection), sealed["sealed"],
                     sealed["wrapped_key"], sealed["key_version"], *constant))
        made[key] = pk
        if person is not None:
            people.append(person)
    try:
        with transaction.atomic():
            bulk.append(Message, _BULK_COLUMNS, rows)
    except IntegrityError:  # a key committed meanwhile by another transaction
        common = {"actor": actor, "audience": audience, "source": source, "kind": kind,
                  "concerns": concerns}
        one = outbox.enqueue_email if channel == Channel.EMAIL else outbox.enqueue_sms
        return [one(**common, **{k: v for k, v in m.items() if k != "person"},
                    person=_subject(m.get("person"))).pk for m in messages]
    if rows:
        audit.record(actor=actor, action="outbox.queued_many", subjects=people,
                     detail={"channel": channel, "kind": kind, "audience": audience.value,
                             "messages": len(rows), "concerns": f"{concerns_type}:{concerns_id}"})
    return [existing.get(key) or made[key] for key in keys]


def _subject(person):
    from piwarden.subjects.models import Subject

    if person is None or isinstance(person, Subject):
        return person
    return Subject.objects.get(pk=person)


@sensitive_variables("messages")
def enqueue_many_email(*, actor: Actor, messages: list[dict], audience, source: str,
                       kind: str = "", concerns: models.Model | None = None) -> list[uuid.UUID]:
    """``enqueue_email`` for many messages at once, in the caller's transaction: each dict
    holds ``to``, ``subject``, ``body``, ``person`` (a Subject or its id) and
    ``idempotency_key``. One INSERT batch, each message sealed under its own key as today,
    one audit record naming every person. Returns the messages in order (a key queued before
    gives its first message). Nothing is scheduled per message: the caller queues the
    delivery of the batch (``deliver``), and the sweep takes what it leaves."""
    outbox._in_transaction()
    audience = outbox._audience(audience)
    source, kind = outbox._names(source=source, kind=kind)
    for message in messages:
        _check_email(message.get("to"), message.get("subject"), message.get("body"), audience)
    contents = [{"to": list(m["to"]), "subject": m["subject"], "body": m["body"]}
                for m in messages]
    return _create_many(actor=actor, channel=Channel.EMAIL, messages=messages,
                        contents=contents, audience=audience, source=source, kind=kind,
                        concerns=concerns)


@sensitive_variables("messages")
def enqueue_many_sms(*, actor: Actor, messages: list[dict], audience, source: str,
                     kind: str = "", concerns: models.Model | None = None) -> list[uuid.UUID]:
    """``enqueue_sms`` for many messages at once (each dict: ``to``, ``text``, ``person``,
    ``idempotency_key``); as ``enqueue_many_email``."""
    outbox._in_transaction()
    audience = outbox._audience(audience)
    source, kind = outbox._names(source=source, kind=kind)
    for message in messages:
        _check_sms(message.get("to"), message.get("text"))
    contents = [{"to": m["to"], "text": m["text"]} for m in messages]
    return _create_many(actor=actor, channel=Channel.SMS, messages=messages,
                        contents=contents, audience=audience, source=source, kind=kind,
                        concerns=concerns)
