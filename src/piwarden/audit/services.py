"""The only writer of the audit trail, and its verifier."""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from piwarden.audit import store, touch
from piwarden.audit.actors import Actor
from piwarden.audit.chain import CONTENT_FIELDS, GENESIS_HASH, compute_hash, content_digest_of
from piwarden.audit.context import request_id_var
from piwarden.audit.models import AuditEvent, ChainCheck, ChainHead, Outcome
from piwarden.catalog import selectors as catalog

_ACTION = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")


class AuditError(Exception):
    """The record could not be written as asked; the caller's transaction should roll back."""


def _check_detail(value, path="detail") -> None:
    """Detail must be plain JSON without floats, so its hash is the same after any round trip."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditError(f"{path}: keys must be strings")
            _check_detail(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_detail(item, f"{path}[{index}]")
    elif not (value is None or isinstance(value, str | int | bool)):
        raise AuditError(f"{path}: {type(value).__name__} is not allowed (str, int, bool, null)")


def in_caller_transaction() -> bool:
    """Whether the caller holds a transaction open. Work whose refusals must be recorded
    whatever the caller does next (egress, the sharing gateway) runs only when it does not:
    its records then commit on their own. Django's test cases wrap each test in atomic blocks
    they mark; those stand for a deployment's autocommit (as ``atomic(durable=True)`` has it).
    """
    blocks = transaction.get_connection().atomic_blocks
    return not all(getattr(block, "_from_testcase", False) for block in blocks)


def record(
    *,
    actor: Actor,
    action: str,
    subject=None,
    obj: models.Model | None = None,
    categories: Iterable[str] = (),
    purpose: str = "",
    legal_basis: str = "",
    outcome: Outcome = Outcome.SUCCESS,
    detail: dict | None = None,
    request_id: str | None = None,
    subjects: Iterable = (),
) -> AuditEvent:
    """Append one record to the chain inside the caller's transaction.

    Must be called in ``transaction.atomic``: the record then commits or rolls back with the
    action it describes. Never pass PI values: name categories and objects, not their contents.
    ``subjects``: everyone else the action touched (``Subject``s or their ids), kept as the
    record's child rows (``AuditSubject``) with their digest in ``detail["touched"]``.
    """
    return record_many([{
        "actor": actor, "action": action, "subject": subject, "obj": obj,
        "categories": categories, "purpose": purpose, "legal_basis": legal_basis,
        "outcome": outcome, "detail": detail, "request_id": request_id,
        "subjects": subjects}])[0]


@transaction.atomic
def record_read(*, actor: Actor, action: str, subjects: Iterable,
                categories: Iterable[str] = (), purpose: str = "",
                obj: models.Model | None = None, detail: dict | None = None) -> AuditEvent:
    """One record for a read that handed other people's PI to its caller (an API answer, a
    list): everyone in the answer is named in its child rows. A read is its own action, so
    it commits on its own (the caller's views hold no transaction)."""
    return record(actor=actor, action=action, subjects=subjects, categories=categories,
                  purpose=purpose, obj=obj, detail=detail)


def record_many(entries: list[dict]) -> list[AuditEvent]:
    """``record`` for several actions at once (each dict holds ``record``'s arguments), in
    order: what batch writers use, one database round trip on PostgreSQL."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise AuditError("audit.record() must run inside the caller's transaction.atomic block")
    checked, touched = [], []
    for entry in entries:
        values, subject, ids = _content(**entry)
        checked.append((values, subject))
        touched.append(ids)
    digests = [content_digest_of(values) for values, _ in checked]
    try:
        rows = store.append_many(connection, [_stored(values) for values, _ in checked],
                                 digests)
    except store.MissingHeadError:
        raise AuditError("the audit chain head is missing; run `piwarden audit verify`") from None
    if any(touched):
        touch.write([(row[0], ids) for row, ids in zip(rows, touched, strict=True) if ids])
    return [_event(connection, values, subject, row)
            for (values, subject), row in zip(checked, rows, strict=True)]


def _content(*, actor: Actor, action: str, subject=None, obj: models.Model | None = None,
             categories: Iterable[str] = (), purpose: str = "", legal_basis: str = "",
             outcome: Outcome = Outcome.SUCCESS, detail: dict | None = None,
             request_id: str | None = None, subjects: Iterable = ()) -> tuple[list, object, list]:
    """Check one action's description; return its record's content (values in
    ``CONTENT_FIELDS`` order), the subject it names and the ids of the others it touched."""
    if not isinstance(actor, Actor):
        raise AuditError("actor must be an audit.actors.Actor")
    if not _ACTION.match(action):
        raise AuditError(f"action {action!r} is not a dotted name like 'subject.created'")
    categories = sorted(set(categories))
    unknown = catalog.unknown_keys(
        categories=categories,
        purposes=[purpose] if purpose else [],
        legal_bases=[legal_basis] if legal_basis else [],
    )
    if unknown:
        raise AuditError(f"not in the data catalog: {unknown}")
    detail = detail or {}
    _check_detail(detail)
    ids = touch.ids(subjects) if subjects else []
    if ids:
        if touch.KEY in detail:
            raise AuditError(f"detail.{touch.KEY} is written by record() from subjects=")
        detail = {**detail, touch.KEY: touch.summary(ids)}
    return [
        timezone.now(),
        actor.kind,
        actor.id,
        action,
        subject.pk if subject is not None else None,
        obj._meta.label_lower if obj is not None else "",
        str(obj.pk) if obj is not None else "",
        categories,
        purpose,
        legal_basis,
        request_id if request_id is not None else request_id_var.get(),
        outcome,
        detail,
    ], subject, ids


_JSON_AT = [CONTENT_FIELDS.index(name) for name in ("categories", "detail")]
_ATTNAMES = [field.attname for field in AuditEvent._meta.concrete_fields]
_SUBJECT_FIELD = AuditEvent._meta.get_field("subject")


def _stored(values: list) -> list:
    """The content as the database takes it: text for the choices, JSON as text."""
    stored = [str(value) if isinstance(value, str) else value for value in values]
    for index in _JSON_AT:
        stored[index] = json.dumps(values[index])
    return stored


def _event(connection, values: list, subject, row: tuple) -> AuditEvent:
    """The stored record as an instance (built as Django builds one read from the database)."""
    record_id, seq, prev_hash, hash_ = row
    fields = dict(zip(CONTENT_FIELDS, values, strict=True))
    fields.update(id=record_id, seq=seq, prev_hash=prev_hash, hash=hash_)
    event = AuditEvent.from_db(connection.alias, None, [fields[name] for name in _ATTNAMES])
    if subject is not None:
        _SUBJECT_FIELD.set_cached_value(event, subject)
    return event


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    bad_id: int | None = None
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.checked} records, head #{self.head_seq} {self.head_hash}"
        where = f"record #{self.bad_seq}" + (f" (row id {self.bad_id})" if self.bad_id else "")
        return f"BROKEN at {where}: {self.problem} ({self.checked} records checked before it)"


def verify(*, chunk_size: int = 2000) -> Verification:
    """Walk the whole chain and name the first record that was changed, removed or moved."""
    head = ChainHead.objects.filter(pk=1).first()
    if head is None:
        return Verification(False, 0, 0, "", 1, None, "the chain head row is missing")
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for chunk in _chunks(AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size),
                         chunk_size):
        people = touch.named_in(chunk)
        for event in chunk:
            if event.seq != expected_seq:
                problem = f"record #{expected_seq} is missing (next one found is #{event.seq})"
                return Verification(False, checked, head.seq, head.hash, expected_seq, None,
                                    problem)
            problem = ""
            if event.prev_hash != prev_hash:
                problem = "its link to the previous record is broken (removed, moved or re-linked)"
            elif compute_hash(event) != event.hash:
                problem = "its contents do not match its hash (changed after it was written)"
            else:
                problem = touch.mismatch(event, people.get(event.pk, ()))
            if problem:
                return Verification(False, checked, head.seq, head.hash, event.seq, event.pk,
                                    problem)
            expected_seq, prev_hash, checked = expected_seq + 1, event.hash, checked + 1
    if (head.seq, head.hash) != (checked, prev_hash):
        return Verification(
            False, checked, head.seq, head.hash, checked + 1, None,
            f"the chain head names record #{head.seq} but the trail ends at #{checked} "
            "(records removed from the end, or the head was altered)",
        )
    return Verification(True, checked, head.seq, head.hash)


def _chunks(events, size: int):
    chunk = []
    for event in events:
        chunk.append(event)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def request_check(*, actor: Actor) -> ChainCheck:
    """Queue a verification for the task worker (the console's "verify now")."""
    from piwarden.audit.tasks import run_chain_check
    from piwarden.jobs.services import enqueue_with_caller

    with transaction.atomic():
        check = ChainCheck.objects.create(requested_by=str(actor))
        enqueue_with_caller(run_chain_check, check.pk)
    return check


def run_check(*, check: ChainCheck) -> Verification:
    """Verify the chain and keep the result on the check row."""
    result = verify()
    check.ok = result.ok
    check.checked = result.checked
    check.head_seq = result.head_seq
    check.head_hash = result.head_hash
    check.bad_seq = result.bad_seq
    check.problem = result.problem
    check.finished_at = timezone.now()
    check.save()
    return result
