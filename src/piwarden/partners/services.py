"""Writers of the partners app: partners, their API clients, imported batches and erasure.

A record is stored only with the person's authorization to the partner (reference, scope,
date) that covers every category submitted, for this purpose, and is neither future-dated nor
expired (PIPL Art. 23; policy §2.3). Records that fail are reported per record (index and
code); the valid records of the same batch are stored. A retried batch stores nothing twice:
each record carries the partner's ``external_id``.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

from piwarden.audit import scoping
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog.models import (
    DataCategory,
    ProcessingActivity,
    Purpose,
    Recipient,
    RecipientRole,
)
from piwarden.clients.models import ApiClient
from piwarden.consent import notices
from piwarden.consent import services as consent
from piwarden.consent.erasure import covered
from piwarden.consent.models import Choice, ConsentState, Scope
from piwarden.discovery import scan
from piwarden.errors import ServiceError
from piwarden.partners.models import ImportBatch, Partner, PartnerClient, PartnerRecord
from piwarden.sharing.models import Counterparty
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.subjects.registry import Erased
from piwarden.subjects.services import create_subject
from piwarden.vault import fields as vault_fields
from piwarden.vault import services as vault
from piwarden.vault.errors import InvalidValue

ACTIVITY = "partner.ingest"
PURPOSE = "partner.indirect_collection"
SOURCE_CATEGORY = "user.partner_supplied"
# The vault field of each PI value a record may carry, and its catalog category.
FIELDS = {"name": "user.name", "phone": "user.contact.phone", "email": "user.contact.email"}
MAX_RECORDS = 500
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class PartnerError(ServiceError):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(code, message, status=status)


def authorization_max_days() -> int:
    """An authorization without an end date counts for this many days after it was given."""
    return settings.PIWARDEN_PARTNER_AUTHORIZATION_DAYS


# --- partners and clients ------------------------------------------------------------------

@transaction.atomic
def create_partner(*, actor: Actor, recipient: str, name: str) -> Partner:
    """A partner must be a catalog recipient that is an independent handler (it collected the
    data under its own authorization from the person); it joins the registry as the
    counterparty of that recipient (created when missing)."""
    found = Recipient.objects.filter(key=recipient, retired=False).first()
    if found is None or found.role != RecipientRole.INDEPENDENT_HANDLER:
        raise PartnerError(422, "NOT_AN_INDEPENDENT_HANDLER",
                           f"'{recipient}' is not a catalog recipient of role independent_handler.")
    counterparty, _ = Counterparty.objects.get_or_create(recipient=recipient)
    partner = Partner.objects.create(recipient=recipient, counterparty=counterparty,
                                     name=name.strip() or found.name_en)
    audit.record(actor=actor, action="partners.partner_created", obj=partner,
                 detail={"recipient": recipient, "counterparty": counterparty.pk})
    return partner


@transaction.atomic
def update_partner(*, actor: Actor, partner: Partner, name: str, is_active: bool) -> Partner:
    """Rename or (de)activate; a deactivated partner's clients can no longer submit."""
    partner.name, partner.is_active = name.strip() or partner.name, is_active
    partner.save(update_fields=["name", "is_active"])
    audit.record(actor=actor, action="partners.partner_changed", obj=partner,
                 detail={"is_active": is_active})
    return partner


@transaction.atomic
def link_client(*, actor: Actor, client: ApiClient, partner: Partner | None = None,
                counterparty: Counterparty | None = None) -> PartnerClient:
    """Link an API client to a partner (its imports), or to any counterparty of the registry
    (a recipient that confirms the deletions forwarded to it)."""
    if partner is None and counterparty is None:
        raise PartnerError(422, "LINK_TARGET_REQUIRED", "Name a partner or a counterparty.")
    if partner is None:
        partner = Partner.objects.filter(counterparty=counterparty).first()
    counterparty = partner.counterparty if partner is not None else counterparty
    link, _ = PartnerClient.objects.update_or_create(
        client=client, defaults={"partner": partner, "counterparty": counterparty})
    audit.record(actor=actor, action="partners.client_linked", obj=link,
                 detail={"partner": partner.pk if partner else None,
                         "recipient": counterparty.recipient, "client": client.pk})
    return link


def partner_of(client) -> Partner | None:
    if not isinstance(client, ApiClient):
        return None
    link = PartnerClient.objects.select_related("partner").filter(client=client).first()
    return link.partner if link and link.partner and link.partner.is_active else None


def counterparty_of(client) -> Counterparty | None:
    """The registry counterparty an API client acts for, or None."""
    if not isinstance(client, ApiClient):
        return None
    link = PartnerClient.objects.select_related("counterparty").filter(client=client).first()
    return link.counterparty if link else None


# --- imports -------------------------------------------------------------------------------

class Authorization(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str
    categories: list[str]
    purposes: list[str]
    authorized_on: date
    expires_on: date | None = None


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    external_id: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    notice_version: str | None = None
    authorization: Authorization | None = None


@dataclass
class RecordResult:
    index: int
    status: str  # stored | duplicate | rejected
    code: str = ""
    record_id: int | None = None
    fields: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    batch: ImportBatch
    results: list[RecordResult]


def _ingest_categories() -> set[str]:
    activity = ProcessingActivity.objects.filter(key=ACTIVITY, retired=False).first()
    return set(activity.categories.values_list("key", flat=True)) if activity else set()


def _reject(index: int, code: str, fields_: list[str] | None = None) -> RecordResult:
    return RecordResult(index=index, status="rejected", code=code, fields=fields_ or [])


def _check_authorization(index: int, record: RecordIn, submitted: set[str],
                         today: date) -> RecordResult | None:
    auth = record.authorization
    if auth is None or not auth.reference.strip():
        return _reject(index, "AUTHORIZATION_MISSING", ["authorization"])
    known_categories = set(DataCategory.objects.filter(
        key__in=auth.categories, retired=False).values_list("key", flat=True))
    known_purposes = set(Purpose.objects.filter(
        key__in=auth.purposes, retired=False).values_list("key", flat=True))
    if set(auth.categories) - known_categories or set(auth.purposes) - known_purposes:
        return _reject(index, "AUTHORIZATION_UNKNOWN_KEY", ["authorization"])
    if PURPOSE not in auth.purposes:
        return _reject(index, "AUTHORIZATION_PURPOSE_MISSING", ["authorization.purposes"])
    uncovered = [c for c in sorted(submitted) if not covered(c, set(auth.categories))]
    if uncovered:
        return _reject(index, "AUTHORIZATION_SCOPE_INSUFFICIENT", uncovered)
    if auth.authorized_on > today:
        return _reject(index, "AUTHORIZATION_IN_FUTURE", ["authorization.authorized_on"])
    expires = auth.expires_on or auth.authorized_on + timedelta(days=authorization_max_days())
    if expires < today:
        return _reject(index, "AUTHORIZATION_EXPIRED", ["authorization.expires_on"])
    return None


@sensitive_variables("raw", "record", "values")
def _validate(index: int, raw, *, declared: set[str], current: str, today: date, seen: set[str]):
    """(RecordIn, normalized values) or a rejection. No value goes into a rejection."""
    try:
        record = RecordIn.model_validate(raw)
    except PydanticError as exc:
        locs = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        return _reject(index, "INVALID_RECORD", locs)
    if "@" in record.external_id or _looks_like_phone(record.external_id):
        return _reject(index, "EXTERNAL_ID_LOOKS_LIKE_PI", ["external_id"])
    if not _EXTERNAL_ID.match(record.external_id):
        return _reject(index, "INVALID_EXTERNAL_ID", ["external_id"])
    if record.external_id in seen:
        return _reject(index, "DUPLICATE_IN_BATCH", ["external_id"])
    seen.add(record.external_id)
    if record.notice_version and record.notice_version != current:
        return _reject(index, "NOTICE_OUTDATED", ["notice_version"])
    values = {name: getattr(record, name).strip() for name in FIELDS
              if getattr(record, name) and getattr(record, name).strip()}
    if not values:
        return _reject(index, "NO_DATA")
    if "name" in values and scan(values["name"]):
        # An ID number, phone number or address in the name column is a mapping error in the
        # partner's export: refused, so that PI is not stored as a name (V-5.1a).
        return _reject(index, "NAME_HOLDS_PI", ["name"])
    submitted = {FIELDS[name] for name in values}
    undeclared = sorted(c for c in submitted if c not in declared)
    if undeclared:
        return _reject(index, "CATEGORY_NOT_DECLARED", undeclared)
    refusal = _check_authorization(index, record, submitted, today)
    if refusal:
        return refusal
    for name in list(values):
        try:
            vault_fields.get(name).normalize(values[name])
        except InvalidValue:
            return _reject(index, "INVALID_VALUE", [name])
    return record, values


def _looks_like_phone(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return len(digits) >= 11 and len(digits) >= len(value) - 3


def _subject_for(*, actor: Actor, values: dict[str, str]) -> Subject:
    """Reuse the partner_person subject that already holds this phone or e-mail, locked so
    that an account holder's erasure cannot retire it under the new record (see
    ``subjectdata.services.retire_emptied``)."""
    for name in ("phone", "email"):
        if name in values:
            ids = vault.find_subject_ids(name, values[name])
            found = (Subject.objects.select_for_update(no_key=True)
                     .filter(pk__in=ids, kind=SubjectKind.PARTNER_PERSON,
                             status=SubjectStatus.ACTIVE).order_by("created_at").first())
            if found is not None:
                return found
    return create_subject(actor=actor, kind=SubjectKind.PARTNER_PERSON)


def _withdrawn_since(subject: Subject, authorized_on: date) -> bool:
    """The person told us directly to stop after the partner's authorization was given."""
    state = ConsentState.objects.filter(subject=subject, purpose=PURPOSE,
                                        scope=Scope.GENERAL).first()
    return state is not None and state.choice != Choice.GRANT and \
        timezone.localdate(state.changed_at) >= authorized_on


def authorization_notice(partner: Partner, record: RecordIn, version: str) -> str:
    auth = record.authorization
    return (f"Authorization given to the partner \"{partner.name}\" ({partner.recipient}) on "
            f"{auth.authorized_on.isoformat()}, reference {auth.reference}, for the purposes "
            f"{', '.join(auth.purposes)} and the categories {', '.join(auth.categories)}; the "
            f"partner showed privacy notice version {version}.")


@sensitive_variables("records", "values")
def import_batch(*, actor: Actor, partner: Partner, records: list, notice_version: str | None,
                 reference: str = "", client: ApiClient | None = None) -> ImportResult:
    """Validate every record, store the valid ones, and report each record's outcome.

    The notice version of the batch is checked first (422 missing, 409 outdated, nothing
    stored). Each stored record is its own savepoint, so one failing write rejects only it.
    """
    current = notices.check_version(notice_version)
    if not isinstance(records, list) or not records:
        raise PartnerError(422, "NO_RECORDS", "A batch needs at least one record.")
    if len(records) > MAX_RECORDS:
        raise PartnerError(413, "BATCH_TOO_LARGE", f"At most {MAX_RECORDS} records per batch.")
    declared, today, seen = _ingest_categories(), timezone.localdate(), set()
    results: list[RecordResult] = []
    with transaction.atomic():
        batch = ImportBatch.objects.create(partner=partner, reference=reference[:100],
                                           client=client, notice_version=current,
                                           received=len(records))
        for index, raw in enumerate(records):
            checked = _validate(index, raw, declared=declared, current=current, today=today,
                                seen=seen)
            if isinstance(checked, RecordResult):
                results.append(checked)
                continue
            record, values = checked
            existing = PartnerRecord.objects.filter(partner=partner,
                                                    external_id=record.external_id).first()
            if existing is not None:
                results.append(RecordResult(index=index, status="duplicate",
                                            record_id=existing.pk))
                continue
            results.append(_store(actor=actor, partner=partner, batch=batch, index=index,
                                  record=record, values=values, version=current))
        batch.stored = sum(r.status == "stored" for r in results)
        batch.duplicates = sum(r.status == "duplicate" for r in results)
        batch.rejected = sum(r.status == "rejected" for r in results)
        batch.save(update_fields=["stored", "duplicates", "rejected"])
        codes: dict[str, int] = {}
        for r in results:
            if r.code:
                codes[r.code] = codes.get(r.code, 0) + 1
        audit.record(actor=actor, action="partners.batch_imported", obj=batch,
                     categories=[SOURCE_CATEGORY], purpose=PURPOSE, legal_basis="consent",
                     detail={"partner": partner.recipient, "received": batch.received,
                             "stored": batch.stored, "duplicates": batch.duplicates,
                             "rejected": batch.rejected, "rejections": codes},
                     subjects=batch.records.values_list("subject_id", flat=True))
    return ImportResult(batch=batch, results=results)


@sensitive_variables("values")
def _store(*, actor, partner, batch, index, record: RecordIn, values, version) -> RecordResult:
    auth = record.authorization
    try:
        with transaction.atomic():
            subject = _subject_for(actor=actor, values=values)
            if _withdrawn_since(subject, auth.authorized_on):
                return _reject(index, "CONSENT_WITHDRAWN")
            consent.grant(actor=actor, subject=subject, purpose=PURPOSE, scope=Scope.GENERAL,
                          notice_text=authorization_notice(partner, record, version),
                          channel="api")
            for name, value in values.items():
                vault.put(actor=actor, subject=subject, field=name, value=value,
                          purpose=PURPOSE)
            categories = sorted(FIELDS[name] for name in values)
            stored = PartnerRecord.objects.create(
                subject=subject, partner=partner, batch=batch, external_id=record.external_id,
                categories=categories, authorization_reference=auth.reference.strip()[:200],
                authorization_categories=sorted(set(auth.categories)),
                authorization_purposes=sorted(set(auth.purposes)),
                authorized_on=auth.authorized_on, authorization_expires_on=auth.expires_on,
                notice_version=version)
            audit.record(actor=actor, action="partners.record_received", subject=subject,
                         obj=stored, categories=[SOURCE_CATEGORY, *categories],
                         purpose=PURPOSE, legal_basis="consent",
                         detail={"partner": partner.recipient, "batch": batch.pk,
                                 "fields": sorted(values)})
    except (vault.VaultError, consent.ConsentError) as exc:
        return _reject(index, getattr(exc, "code", None) or getattr(exc, "reason", None)
                       or "NOT_STORED")
    return RecordResult(index=index, status="stored", record_id=stored.pk)


# --- erasure -------------------------------------------------------------------------------

@transaction.atomic
def erase(*, actor: Actor, subject: Subject, categories=None) -> Erased:
    """Delete the partner records of a partner_person and their PI in the vault.

    Partial erasure (some categories) deletes only those vault values; the source rows go when
    the source category or everything is erased. Idempotent.
    """
    wanted = None if categories is None else set(categories)
    erased = 0
    for name, category in FIELDS.items():
        wanted_here = wanted is None or covered(category, wanted) or \
            covered(SOURCE_CATEGORY, wanted)
        if wanted_here and subject.kind == SubjectKind.PARTNER_PERSON and \
                vault.masked(subject, name):
            vault.delete(actor=actor, subject=subject, field=name, purpose=PURPOSE)
            erased += 1
    if wanted is None or covered(SOURCE_CATEGORY, wanted):
        deleted, _ = PartnerRecord.objects.filter(subject=subject).delete()
        erased += deleted
    if erased:
        audit.record(actor=actor, action="partners.records_erased", subject=subject,
                     categories=[SOURCE_CATEGORY], purpose=PURPOSE, legal_basis="consent",
                     detail={"erased": erased})
    return Erased(erased=erased)


def _batch_people(batch_ids: list[str]) -> dict[str, list]:
    """Impact scoping: the people a batch's records name (a record about the batch)."""
    people: dict[str, list] = {}
    for batch_id, subject_id in PartnerRecord.objects.filter(batch_id__in=batch_ids).values_list(
            "batch_id", "subject_id"):
        people.setdefault(str(batch_id), []).append(subject_id)
    return people


scoping.register("partners.importbatch", _batch_people)
