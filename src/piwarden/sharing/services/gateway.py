"""The one gateway every provision of PI to another party passes (API, console, job).

``provide`` checks, in order: the flow and its recipient are active (a processor's contract in
force, its yearly attestation current, nothing held for the cross-border controls); every
category asked for is inside the flow's allowlist (the rest is stripped; hashing an identifier
does not make it anonymous); each person has the basis the flow rests on, consent given for
this very recipient where the recipient is a handler of its own (PIPL Art. 23) — people
without it are left out and counted. The package is built from the subject-data registry's
sources, sealed for this delivery, and the ledger gets one row per person and recipient plus
one audit record for the batch that names the ledger batch (the digest of its people).
"""

import hashlib
import hmac
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from piwarden import bulk
from piwarden.audit import scoping
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.catalog.models import DataCategory, ProcessingActivity, Recipient, RecipientRole
from piwarden.consent import decisions
from piwarden.consent.erasure import covered
from piwarden.consent.models import ConsentState
from piwarden.jobs.services import enqueue_with_caller
from piwarden.sharing import guards, packages
from piwarden.sharing.models import (
    ContractKind,
    Counterparty,
    Disclosure,
    Flow,
    Method,
    Provision,
    ProvisionStatus,
    Status,
)
from piwarden.sharing.services.lifecycle import (
    CONSENT_BASES,
    HANDLER_ROLES,
    SharingError,
    attestation_overdue,
    catalog_recipient,
    contracts_in_force,
)
from piwarden.subjects import registry

TRANSFORMS = frozenset({"sha256"})
# A package is on disk in these states; the hourly retention run deletes it at its expiry.
HELD = (ProvisionStatus.READY, ProvisionStatus.DELIVERED, ProvisionStatus.PUSHING,
        ProvisionStatus.FAILED)


def _pseudonym_key() -> bytes:
    return hashlib.sha256(f"piwarden.sharing.pseudonym|{settings.SECRET_KEY}".encode()).digest()


def pseudonym(recipient: str, subject_id: uuid.UUID, key: bytes | None = None) -> str:
    """The person's reference at one recipient: stable, and unlinkable across recipients."""
    return hmac.new(key or _pseudonym_key(), f"{recipient}|{subject_id}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def subjects_digest(subject_ids: Iterable[uuid.UUID]) -> str:
    """SHA-256 over the sorted ids: kept in the audit record, so the ledger rows of the batch
    cannot be added to or removed unseen."""
    digest = hashlib.sha256()
    for subject_id in sorted(str(s) for s in subject_ids):
        digest.update(subject_id.encode() + b"\n")
    return digest.hexdigest()


def _outside_transaction() -> None:
    """A refusal's audit record must outlive the caller: provisions run outside any atomic
    block (a request, a task, a command), like egress."""
    if audit.in_caller_transaction():
        raise SharingError("PROVIDE_IN_TRANSACTION", "A provision runs outside any atomic "
                           "block, so that its refusals are recorded whatever happens next.",
                           status=500)


def _refuse(actor: Actor, flow: Flow, code: str, message: str, status: int | None = None,
            **detail) -> SharingError:
    """Audit a refused provision in its own transaction (the caller runs outside one, see
    ``_outside_transaction``) and return the error to raise."""
    with transaction.atomic():
        audit.record(actor=actor, action="sharing.provision_refused", obj=flow,
                     outcome=Outcome.DENIED, legal_basis=flow.legal_basis,
                     detail={"activity": flow.activity, "recipient": flow.recipient,
                             "code": code, **detail})
    return SharingError(code, message, status=status or (403 if code != "FLOW_INACTIVE" else 409))


def check_flow(actor: Actor, flow: Flow) -> tuple[Counterparty, Recipient]:
    """Refuse (audited) unless PI may go out on this flow today; else its recipient's run-time
    state and catalog entry."""
    counterparty = Counterparty.objects.filter(recipient=flow.recipient).first()
    if flow.status != Status.ACTIVE or counterparty is None or \
            counterparty.status != Status.ACTIVE or \
            (flow.cross_border and not guards.for_flow(flow)):
        raise _refuse(actor, flow, "FLOW_INACTIVE", f"The flow {flow} is not active.")
    for problem in guards.problems(flow):
        raise _refuse(actor, flow, problem.code, problem.message)
    recipient = catalog_recipient(flow.recipient)
    if recipient.role == RecipientRole.PROCESSOR:
        if not contracts_in_force(counterparty, ContractKind.ENTRUSTMENT):
            raise _refuse(actor, flow, "CONTRACT_ENDED", "The processor's entrustment contract "
                          "is not in force.")
        if attestation_overdue(counterparty):
            raise _refuse(actor, flow, "ATTESTATION_OVERDUE", "The processor's yearly "
                          "attestation is overdue.")
    return counterparty, recipient


def _split(asked: list[str], allowed: list[str]) -> tuple[list[str], list[str]]:
    allowed_set = set(allowed)
    kept = sorted({c for c in asked if covered(c, allowed_set)})
    return kept, sorted(set(asked) - set(kept))


def _hash(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def provide(*, actor: Actor, flow: Flow, subject_ids: Iterable, categories: list[str] | None =
            None, transforms: dict[str, str] | None = None, confidential: bool = False,
            context: dict | None = None) -> tuple[Provision, str]:
    """Provide the people's data in ``categories`` (default: the flow's allowlist) to the
    flow's recipient. Returns the provision and the download link's token (shown once; empty
    when nobody was provided or the package is pushed). ``context`` goes to the flow's guards
    (``sharing.guards``: an authority request, a corporate transaction); what they report
    comes back as ``provision.guard_results``."""
    _outside_transaction()
    transforms = transforms or {}
    counterparty, recipient = check_flow(actor, flow)
    asked = list(categories) if categories else list(flow.categories)
    unknown = set(asked) - set(DataCategory.objects.filter(key__in=asked)
                               .values_list("key", flat=True))
    if unknown:
        raise SharingError("UNKNOWN_CATEGORY", "Not in the data catalog: "
                           + ", ".join(sorted(unknown)), status=422)
    if set(transforms.values()) - TRANSFORMS:
        raise SharingError("UNKNOWN_TRANSFORM", "Transforms: sha256.", status=422)
    kept, stripped = _split(asked, flow.categories)
    hashed_outside = sorted(c for c in transforms if not covered(c, set(flow.categories)))
    if hashed_outside:
        raise _refuse(actor, flow, "HASHED_IDENTIFIER_IS_PI", "Hashed or pseudonymized "
                      "identifiers are personal information (PIPL Art. 4, 73): "
                      + ", ".join(hashed_outside) + " may not go to this recipient without "
                      "a basis for the data itself.", categories=hashed_outside)
    if not kept:
        raise _refuse(actor, flow, "NOTHING_ALLOWED", "None of the categories asked for is in "
                      "the flow's allowlist.", stripped=stripped)
    if confidential and recipient.role != RecipientRole.AUTHORITY:
        raise SharingError("NOT_AN_AUTHORITY", "Only a provision to an authority can be kept "
                           "from the person (PIPL Art. 18).", status=422)
    activity = ProcessingActivity.objects.select_related("purpose").get(key=flow.activity)
    purpose = activity.purpose.key
    per_recipient = recipient.role in HANDLER_ROLES and flow.legal_basis in CONSENT_BASES
    ids = list(dict.fromkeys(decisions.as_uuid(s) for s in subject_ids))
    batch = guards.Batch(actor=actor, flow=flow, recipient=recipient, purpose=purpose,
                         categories=kept, context=dict(context or {}))
    flow_guards = guards.for_flow(flow)
    for guard in flow_guards:
        try:
            guard.before(batch)
        except guards.Refused as refused:
            raise _refuse(actor, flow, refused.code, refused.message, status=refused.status,
                          **refused.detail) from None
    # Decide on every declared category the package can hold, so that a parent key ("user")
    # still asks for separate consent to the sensitive ones below it (PIPL Art. 29).
    declared = decisions.rules().purposes[purpose].declared
    decide_on = frozenset(c for c in declared if covered(c, set(kept)))

    with transaction.atomic():
        answers = decisions.decide_many(ids, purpose, decide_on, lock=True,
                                        recipient=flow.recipient if per_recipient else "")
        if per_recipient and flow.terms_changed_at:
            _outdated(answers, purpose, flow)
        provided = [subject_id for subject_id in ids if answers[subject_id].allowed]
        dropped = Counter(answer.reason for answer in answers.values() if not answer.allowed)
        for guard in flow_guards:
            provided = guard.within(batch, provided, dropped)
        now = timezone.now()
        provision = Provision(
            flow=flow, actor=str(actor), categories=kept, stripped=stripped, considered=len(ids),
            provided=len(provided), dropped=dict(sorted(dropped.items())),
            subjects_digest=subjects_digest(provided), created_at=now,
            status=ProvisionStatus.REFUSED if not provided else (
                ProvisionStatus.PUSHING if flow.method == Method.PUSH else ProvisionStatus.READY))
        token = ""
        if provided:
            key = _pseudonym_key()
            refs = {subject_id: pseudonym(flow.recipient, subject_id, key)
                    for subject_id in provided}
            packages.seal(provision, _content(provision, flow, refs, kept, transforms))
            provision.expires_at = now + timedelta(hours=settings.PIWARDEN_SHARING_LINK_HOURS)
            if flow.method == Method.DOWNLOAD:
                token, provision.token_hash = packages.new_token()
        provision.save(force_insert=True)
        bases = {subject_id: answers[subject_id].legal_basis or flow.legal_basis
                 for subject_id in provided}
        _ledger(provision, flow, purpose, refs if provided else {}, bases, kept, confidential,
                now)
        audit.record(
            actor=actor, action="sharing.provided", obj=provision, categories=kept,
            purpose=purpose, legal_basis=flow.legal_basis,
            outcome=Outcome.SUCCESS if provided else Outcome.DENIED,
            detail={"flow": flow.pk, "activity": flow.activity, "recipient": flow.recipient,
                    "considered": provision.considered, "provided": provision.provided,
                    "dropped": provision.dropped, "stripped": stripped,
                    "hashed": sorted(transforms), "subjects_digest": provision.subjects_digest,
                    "method": flow.method, "counterparty": counterparty.pk,
                    **({"guards": batch.results} if batch.results else {})},
            subjects=provided)
        if provided and flow.method == Method.PUSH:
            from piwarden.sharing import delivery

            enqueue_with_caller(delivery.push_provision, str(provision.pk))
    provision.guard_results = batch.results
    return provision, token


def _content(provision: Provision, flow: Flow, refs: dict, kept: list[str],
             transforms: dict[str, str]) -> dict:
    """The package: per person their reference and the allowed values, nothing else."""
    values: dict = {}
    for source in registry.sources():
        if source.package is not None:
            for subject_id, fields in source.package(list(refs), frozenset(kept)).items():
                values.setdefault(subject_id, {}).update(fields)
    from piwarden.vault import fields as vault_fields

    field_category = {f.name: f.category for f in vault_fields.all_fields()}
    hashed = {name for name, category in field_category.items()
              if any(covered(category, {c}) for c in transforms)}
    records = []
    for subject_id, ref in refs.items():
        record = {"reference": ref}
        for name, value in sorted(values.get(subject_id, {}).items()):
            record[name] = _hash(value) if name in hashed else value
        records.append(record)
    return {"provision": str(provision.id), "recipient": flow.recipient,
            "activity": flow.activity, "categories": kept,
            "fields": {name: field_category.get(name, "") for name in
                       sorted({n for r in records for n in r if n != "reference"})},
            "hashed": sorted(hashed), "records": records}


_LEDGER_COLUMNS = ("provision", "subject", "recipient", "activity", "purpose", "legal_basis",
                   "categories", "reference", "confidential", "provided_at")


def _outdated(answers: dict, purpose: str, flow: Flow) -> None:
    """Consents to this recipient given before the flow's terms last grew no longer count."""
    granted = [subject_id for subject_id, answer in answers.items() if answer.allowed
               and answer.reason == "consent_granted"]
    if not granted:
        return
    connection = transaction.get_connection()
    table = ConsentState._meta.db_table
    changed = ConsentState._meta.get_field("changed_at").get_db_prep_value(
        flow.terms_changed_at, connection)
    with connection.cursor() as cursor:
        for start in range(0, len(granted), 5000):
            where, params = bulk.uuid_in("subject_id", granted[start:start + 5000], connection)
            cursor.execute(f"SELECT subject_id FROM {table} WHERE purpose = %s "  # noqa: S608
                           f"AND recipient = %s AND changed_at < %s AND {where}",
                           [purpose, flow.recipient, changed, *params])
            for (subject_id,) in cursor.fetchall():
                answers[bulk.as_uuid(subject_id)] = _CONSENT_OUTDATED


_CONSENT_OUTDATED = decisions.Decision(False, "consent_outdated")


def _ledger(provision: Provision, flow: Flow, purpose: str, refs: dict, bases: dict,
            kept: list[str], confidential: bool, now) -> None:
    """One register row per person (appended in bulk), with the basis each one had."""
    connection = transaction.get_connection()
    field = Disclosure._meta.get_field
    constant = {name: field(name).get_db_prep_save(value, connection) for name, value in (
        ("provision", provision.pk), ("recipient", flow.recipient), ("activity", flow.activity),
        ("purpose", purpose), ("categories", kept), ("confidential", confidential),
        ("provided_at", now))}
    subject = field("subject")
    rows = []
    for subject_id, ref in refs.items():
        row = {**constant, "subject": subject.get_db_prep_save(subject_id, connection),
               "reference": ref, "legal_basis": bases[subject_id]}
        rows.append(tuple(row[name] for name in _LEDGER_COLUMNS))
    bulk.append(Disclosure, _LEDGER_COLUMNS, rows)


def record_aggregate_provision(*, actor: Actor, flow: Flow, rows: list[dict], people: int,
                               description: dict) -> Provision:
    """Statistics (anonymized aggregates) to a recipient: a provision with no ledger rows,
    since it is about nobody; the register still records what left and to whom."""
    check_flow(actor, flow)
    anonymized = set(DataCategory.objects.filter(anonymized=True, retired=False)
                     .values_list("key", flat=True))
    if not flow.categories or not set(flow.categories) <= anonymized:
        raise SharingError("FLOW_NOT_STATISTICS", "This flow carries personal information; "
                           "statistics go only on flows of anonymized categories.")
    with transaction.atomic():
        now = timezone.now()
        provision = Provision(
            flow=flow, actor=str(actor), categories=list(flow.categories), considered=people,
            provided=0, subjects_digest=subjects_digest([]), created_at=now,
            status=ProvisionStatus.PUSHING if flow.method == Method.PUSH else
            ProvisionStatus.READY)
        packages.seal(provision, {"provision": str(provision.id), "recipient": flow.recipient,
                                  "activity": flow.activity, "statistics": description,
                                  "rows": rows})
        token = ""
        provision.expires_at = now + timedelta(hours=settings.PIWARDEN_SHARING_LINK_HOURS)
        if flow.method == Method.DOWNLOAD:
            token, provision.token_hash = packages.new_token()
        provision.save(force_insert=True)
        audit.record(actor=actor, action="sharing.statistics_provided", obj=provision,
                     categories=provision.categories, legal_basis=flow.legal_basis,
                     detail={"flow": flow.pk, "recipient": flow.recipient, "rows": len(rows),
                             "people": people, **{k: v for k, v in description.items()
                                                  if isinstance(v, str | int | list)}})
        if flow.method == Method.PUSH:
            from piwarden.sharing import delivery

            enqueue_with_caller(delivery.push_provision, str(provision.pk))
    provision.link_token = token
    return provision


def open_download(*, token: str, ip_prefix: str = "") -> tuple[Provision, bytes]:
    """The package behind a link: counted and audited; refused when expired or used up, and
    when its flow stopped since (a suspension, a contract end: checked again, audited)."""
    found = Provision.objects.filter(token_hash=packages.token_hash(token)).select_related(
        "flow").first()
    if found is not None:
        try:
            check_flow(Actor.system(f"recipient.{found.flow.recipient}"), found.flow)
        except SharingError:
            raise SharingError("LINK_EXPIRED", "This link has expired.", status=410) from None
    with transaction.atomic():
        provision = Provision.objects.select_for_update().filter(
            token_hash=packages.token_hash(token)).select_related("flow").first()
        if provision is None:
            raise SharingError("LINK_UNKNOWN", "This link is not valid.", status=404)
        if provision.status not in (ProvisionStatus.READY, ProvisionStatus.DELIVERED) or \
                provision.expires_at <= timezone.now() or \
                provision.downloads >= settings.PIWARDEN_SHARING_MAX_DOWNLOADS:
            raise SharingError("LINK_EXPIRED", "This link has expired.", status=410)
        try:
            content = packages.open_package(provision)
        except FileNotFoundError:
            raise SharingError("LINK_EXPIRED", "This link has expired.", status=410) from None
        Provision.objects.filter(pk=provision.pk).update(
            downloads=F("downloads") + 1, status=ProvisionStatus.DELIVERED,
            delivered_at=provision.delivered_at or timezone.now())
        audit.record(actor=Actor.system(f"recipient.{provision.flow.recipient}"),
                     action="sharing.package_downloaded", obj=provision,
                     categories=provision.categories,
                     detail={"recipient": provision.flow.recipient, "ip": ip_prefix,
                             "download": provision.downloads + 1},
                     subjects=Disclosure.objects.filter(provision=provision)
                     .values_list("subject_id", flat=True))
    return provision, content


def expire_packages(*, actor: Actor, now=None) -> int:
    """Delete the files of packages whose link expired (the hourly retention run)."""
    now = now or timezone.now()
    done = 0
    for provision in Provision.objects.filter(status__in=HELD, expires_at__lte=now):
        with transaction.atomic():
            packages.delete(provision)
            Provision.objects.filter(pk=provision.pk).update(status=ProvisionStatus.EXPIRED)
            audit.record(actor=actor, action="sharing.package_expired", obj=provision,
                         detail={"recipient": provision.flow.recipient})
            done += 1
    return done


def revoke_packages(*, actor: Actor, reason: str, flow: Flow | None = None,
                    recipient: str = "", subject=None) -> int:
    """Delete the packages not yet fetched or pushed that a withdrawal, an erasure or a
    suspension must stop (of a flow, of a recipient, or that hold a person's data); they are
    provided again, to those who still have a basis, if needed. Runs in the caller's
    transaction; audited per package."""
    waiting = Provision.objects.filter(
        status__in=[ProvisionStatus.READY, ProvisionStatus.PUSHING]).select_related("flow")
    if flow is not None:
        waiting = waiting.filter(flow=flow)
    if recipient:
        waiting = waiting.filter(flow__recipient=recipient)
    if subject is not None:
        waiting = waiting.filter(pk__in=Disclosure.objects.filter(subject=subject).values(
            "provision"))
    done = 0
    for provision in waiting:
        packages.delete(provision)
        Provision.objects.filter(pk=provision.pk).update(status=ProvisionStatus.EXPIRED)
        audit.record(actor=actor, action="sharing.package_revoked", obj=provision,
                     detail={"recipient": provision.flow.recipient, "reason": reason})
        done += 1
    return done


def _provision_people(provision_ids: list[str]) -> dict[str, list]:
    """Impact scoping: the people a provision's ledger rows name (its download, its push)."""
    people: dict[str, list] = {}
    for provision_id, subject_id in Disclosure.objects.filter(
            provision_id__in=provision_ids).values_list("provision_id", "subject_id"):
        people.setdefault(str(provision_id), []).append(subject_id)
    return people


scoping.register("sharing.provision", _provision_people)
