"""The only writers of transfer records: record a flow's transfer and its mechanism, file it,
note a contract change, suspend, release people held at a threshold, remind before expiry.
Each write is audited in its transaction."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from piwarden.alerts.services import raise_alert
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.consent.erasure import covered
from piwarden.errors import ServiceError
from piwarden.sharing.models import Flow
from piwarden.transfers import rules
from piwarden.transfers.models import (
    Hold,
    ImportantData,
    Mechanism,
    RecordStatus,
    TransferRecord,
)

EDITABLE = ("categories", "important_data", "mechanism", "exemption_reason", "reference",
            "effective_on", "valid_until", "recipient_obligations", "notice_zh", "notice_en")


class TransferError(ServiceError):
    """A transfer record that cannot be written as asked."""


def _audit(actor: Actor, action: str, record: TransferRecord, **detail) -> None:
    audit.record(actor=actor, action=f"transfers.{action}", obj=record,
                 categories=list(record.categories),
                 detail={"flow": record.flow_id, "recipient": record.flow.recipient,
                         "country": record.country, "mechanism": record.mechanism, **detail})


NULLABLE = frozenset({"effective_on", "valid_until"})


def _values(values: dict) -> dict:
    """Refuse unknown fields, and empty values where the record keeps text (a JSON null)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise TransferError("UNKNOWN_FIELD", ", ".join(sorted(unknown)))
    empty = sorted(k for k, v in values.items() if v is None and k not in NULLABLE)
    if empty:
        raise TransferError("VALUE_REQUIRED", "These cannot be empty: " + ", ".join(empty)
                            + ".", field=empty[0])
    return values


def _check(record: TransferRecord) -> None:
    if record.mechanism not in Mechanism.values:
        raise TransferError("UNKNOWN_MECHANISM", f"Mechanism is one of "
                            f"{', '.join(Mechanism.values)}.", field="mechanism")
    if record.important_data not in ImportantData.values:
        raise TransferError("IMPORTANT_DATA_INVALID", "Important data: none or involved.",
                            field="important_data")
    allowed = set(record.flow.categories)
    if not record.categories or not all(covered(c, allowed) for c in record.categories):
        raise TransferError("CATEGORIES_OUTSIDE_FLOW", "The categories must be within the "
                            "flow's allowlist.", field="categories")
    if record.mechanism in rules.EXEMPT and not record.exemption_reason.strip():
        raise TransferError("EXEMPTION_UNJUSTIFIED", "Say why the exemption applies.",
                            field="exemption_reason")


@transaction.atomic
def create_record(*, actor: Actor, flow: Flow, **values) -> TransferRecord:
    """A transfer record for an overseas flow (one per flow)."""
    if not flow.cross_border:
        raise TransferError("NOT_CROSS_BORDER", "This flow's recipient is in mainland China.")
    if TransferRecord.objects.filter(flow=flow).exists():
        raise TransferError("RECORD_EXISTS", "This flow has its transfer record.", status=409)
    from piwarden.sharing.services import catalog_recipient

    values = _values(values)
    values.setdefault("categories", list(flow.categories))
    record = TransferRecord(flow=flow, country=catalog_recipient(flow.recipient).country,
                            updated_by=str(actor), **values)
    _check(record)
    record.save()
    _audit(actor, "record_created", record)
    return record


@transaction.atomic
def update_record(*, actor: Actor, record: TransferRecord, **values) -> TransferRecord:
    """Change what the record says. A filed standard contract whose terms change must be
    filed again: ``changed_on`` moves to today and the filing date is cleared (the audit
    trail keeps the earlier filing)."""
    record = TransferRecord.objects.select_for_update().select_related("flow").get(pk=record.pk)
    values = _values(values)
    changed = sorted(k for k, v in values.items() if getattr(record, k) != v)
    for key in changed:
        setattr(record, key, values[key])
    if record.mechanism in rules.FILED and record.filed_on and set(changed) & {
            "mechanism", "categories", "recipient_obligations", "important_data"}:
        record.changed_on, record.filed_on = timezone.localdate(), None
    record.updated_at, record.updated_by = timezone.now(), str(actor)
    _check(record)
    record.save()
    _audit(actor, "record_changed", record, fields=changed)
    return record


@transaction.atomic
def record_filing(*, actor: Actor, record: TransferRecord, reference: str,
                  filed_on: datetime.date) -> TransferRecord:
    """The standard contract was filed with the provincial CAC (again, after a change)."""
    if record.mechanism not in rules.FILED:
        raise TransferError("NOT_A_CONTRACT", "Only a standard contract is filed.")
    if not reference.strip():
        raise TransferError("REFERENCE_REQUIRED", "Record the filing reference.",
                            field="reference")
    if filed_on > timezone.localdate():
        raise TransferError("DATE_IN_FUTURE", "A filing date cannot be in the future.",
                            field="filed_on")
    start = max((d for d in (record.effective_on, record.changed_on) if d), default=None)
    if start and filed_on < start:
        raise TransferError("FILED_BEFORE_TERMS", f"The contract in its present terms dates "
                            f"from {start}: a filing before that does not cover it.",
                            field="filed_on")
    record.reference, record.filed_on = reference.strip(), filed_on
    record.updated_at, record.updated_by = timezone.now(), str(actor)
    record.save(update_fields=["reference", "filed_on", "updated_at", "updated_by"])
    due = rules.filing_due(record)
    _audit(actor, "contract_filed", record, late=bool(due and filed_on > due))
    return record


@transaction.atomic
def set_status(*, actor: Actor, record: TransferRecord, status: str,
               reason: str) -> TransferRecord:
    if status not in RecordStatus.values:
        raise TransferError("STATUS_INVALID", "Status: active or suspended.")
    if not reason.strip():
        raise TransferError("REASON_REQUIRED", "Say why.", field="reason")
    record.status = status
    record.updated_at, record.updated_by = timezone.now(), str(actor)
    record.save(update_fields=["status", "updated_at", "updated_by"])
    _audit(actor, "record_" + status, record, reason=reason.strip()[:200])
    return record


def release(*, actor: Actor, hold: Hold):
    """Provide the people of a hold now that the mechanism allows more: through the gateway
    (outside any transaction) with the batch's original context, where the transfer guard
    claims the hold in the provision's own transaction (once), counts the people again and
    holds back any still over."""
    from piwarden.sharing import services as sharing
    from piwarden.transfers.guard import RELEASING

    if hold.released_at:
        raise TransferError("ALREADY_RELEASED", "This batch was released already.", status=409)
    provision, token = sharing.provide(
        actor=actor, flow=hold.record.flow, subject_ids=hold.subject_ids,
        categories=hold.categories, context={**hold.context, RELEASING: str(hold.pk)})
    if provision.guard_results.get("released_hold") != str(hold.pk):
        raise TransferError("ALREADY_RELEASED", "This batch was released already.", status=409)
    return provision, token


def remind_days() -> int:
    return int(getattr(settings, "PIWARDEN_TRANSFER_REMIND_DAYS", 90))


@transaction.atomic
def remind(*, actor: Actor, today: datetime.date | None = None) -> int:
    """Alert once per expiry date for each mechanism ending within the reminder window, and
    for each standard contract whose filing is due or overdue."""
    today = today or timezone.localdate()
    raised = 0
    for record in TransferRecord.objects.select_for_update().select_related("flow").filter(
            status=RecordStatus.ACTIVE):
        end = rules.expires_on(record)
        due = rules.filing_due(record) if any(
            code == "MECHANISM_UNFILED" for code, _ in rules.problems(record, today)) else None
        when = min(d for d in (end, due) if d) if (end or due) else None
        if when is None or when > today + datetime.timedelta(days=remind_days()) or \
                record.reminded_for == when:
            continue
        what = "filing due" if when == due else "mechanism expires"
        raise_alert(kind="transfers.mechanism_expiring", severity="high" if when <= today
                    else "medium", source="transfers.remind", actor=actor,
                    summary=f"Cross-border transfer {record.flow}: {what} on {when}",
                    detail={"record": record.pk, "date": str(when), "what": what},
                    objects=[record])
        record.reminded_for = when
        record.save(update_fields=["reminded_for"])
        _audit(actor, "reminded", record, date=str(when), what=what)
        raised += 1
    return raised
