"""The vault: the only writers of encrypted PI and the only way back to plaintext (Z-1).

    from piwarden.vault import services as vault
    vault.put(actor=..., subject=s, field="phone", value="138 1234 5678", purpose="...")
    vault.masked(s, "phone")                                  # "138****5678"
    vault.reveal(actor=..., subject=s, field="phone", purpose="...")   # purpose-bound
    vault.find_subject_ids("phone", "+86 138 1234 5678")      # blind index lookup

Each subject has its own AES-256 data key, wrapped by a versioned master key held by the key
provider (``vault.keys``). See docs/vault.md.
"""

import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor, ActorKind
from piwarden.audit.context import client_ip_var
from piwarden.audit.models import Outcome
from piwarden.catalog.models import DataCategory, Grade, Purpose
from piwarden.subjects.models import Subject
from piwarden.vault import crypto, envelope, fields, keys, selectors
from piwarden.vault.errors import (
    AccessRefused,
    DecryptionFailed,
    InvalidValue,
    KeyUnavailable,
    NotIndexed,
    RevealRefused,
    SubjectShredded,
    UnknownField,
    VaultError,
    WriteRefused,
)
from piwarden.vault.models import DataKey, VaultValue

__all__ = [
    "AccessRefused", "DecryptionFailed", "InvalidValue", "KeyUnavailable", "NotIndexed",
    "RevealRefused", "SubjectShredded", "UnknownField", "VaultError", "WriteRefused", "delete",
    "fields", "find_subject_ids", "key_status", "masked", "put", "reveal", "rotate", "shred",
]

PURPOSE_NOT_PERMITTED = "PURPOSE_NOT_PERMITTED"
UNKNOWN_PURPOSE = "UNKNOWN_PURPOSE"

def _locked_data_key(subject: Subject) -> DataKey | None:
    # Serialises writers of one subject (first put, rotation, shred). FOR NO KEY UPDATE on
    # PostgreSQL, so inserts of rows that reference the subject are not blocked.
    Subject.objects.select_for_update(no_key=True).filter(pk=subject.pk).first()
    return DataKey.objects.filter(subject=subject).first()


# --- writes ------------------------------------------------------------------------------

@sensitive_variables("value", "normalized")
def put(*, actor: Actor, subject: Subject, field: str, value: str, purpose: str) -> None:
    """Store (or replace) one value of a subject, encrypted under the subject's data key.

    Refused (WriteRefused, audited) when no processing activity of ``purpose`` covers the
    field's category: the catalog is the list of what may be collected for what (Z-1).
    """
    vault_field = fields.get(field)
    normalized = vault_field.normalize(value)
    refusal = _catalog_refusal(vault_field.category, purpose)
    if refusal:
        _record_refusal(actor=actor, subject=subject, action="vault.write_refused",
                        category=vault_field.category, purpose=purpose, refusal=refusal,
                        detail={"field": field})
        raise WriteRefused(refusal, f"storing {field} for {purpose} is refused: {refusal}")
    with transaction.atomic():
        data_key = _locked_data_key(subject)
        if data_key is None:
            data_key, aead = envelope.create_data_key(subject.pk)
            data_key.save(force_insert=True)
        else:
            aead = envelope.data_key_cipher(data_key)
        row, created = VaultValue.objects.update_or_create(
            subject=subject, field=field,
            defaults=envelope.sealed_columns(data_key=data_key, aead=aead,
                                             vault_field=vault_field, normalized=normalized),
        )
        audit.record(
            actor=actor, action="vault.value_written", subject=subject, obj=row,
            categories=[vault_field.category], purpose=purpose,
            detail={"field": field, "key_version": data_key.version,
                    "master_key_version": data_key.master_version, "replaced": not created},
        )


@transaction.atomic
def delete(*, actor: Actor, subject: Subject, field: str, purpose: str) -> bool:
    """Remove one value; True when there was one."""
    vault_field = fields.get(field)
    deleted, _ = VaultValue.objects.filter(subject=subject, field=field).delete()
    if deleted:
        audit.record(actor=actor, action="vault.value_deleted", subject=subject,
                     categories=[vault_field.category], purpose=purpose,
                     detail={"field": field})
    return bool(deleted)


@transaction.atomic
def shred(*, actor: Actor, subject: Subject, reason: str) -> None:
    """Destroy the subject's data key: every copy of its ciphertexts becomes unreadable.

    The values, masks and blind indexes go too; the key row stays, empty, as a tombstone that
    refuses later writes for the subject.
    """
    if not reason.strip():
        raise VaultError("shredding needs a reason")
    data_key = _locked_data_key(subject)
    held = list(VaultValue.objects.filter(subject=subject).values_list("field", flat=True))
    VaultValue.objects.filter(subject=subject).delete()
    if data_key is None:
        data_key = DataKey(subject=subject, master_version=0, wrapped=b"",
                           shredded_at=timezone.now())
        data_key.save(force_insert=True)
    elif data_key.shredded_at is None:
        data_key.wrapped = b""
        data_key.master_version = 0
        data_key.shredded_at = timezone.now()
        data_key.save(update_fields=["wrapped", "master_version", "shredded_at"])
    envelope.key_cache.forget_subject(subject.pk)
    categories = {fields.get(name).category for name in held if name in _registered()}
    audit.record(actor=actor, action="vault.subject_shredded", subject=subject,
                 categories=categories,
                 detail={"reason": reason, "fields": sorted(held),
                         "key_version": data_key.version})


def _registered() -> set[str]:
    return {f.name for f in fields.all_fields()}


# --- reads -------------------------------------------------------------------------------

def masked(subject: Subject, field: str) -> str | None:
    """The display form stored at write time (``138****5678``); no decryption, no audit."""
    fields.get(field)
    return (VaultValue.objects.filter(subject=subject, field=field)
            .values_list("mask", flat=True).first())


def find_subject_ids(field: str, value: str) -> list[uuid.UUID]:
    """Subjects holding exactly this value (after normalization), via the blind index.

    A value that does not normalize (e.g. not a phone number) matches nobody. During a master
    key rotation, indexes of every configured version are asked for.
    """
    vault_field = fields.get(field)
    if not vault_field.indexed:
        raise NotIndexed(f"vault field {field!r} has no blind index")
    try:
        normalized = vault_field.normalize(value)
    except InvalidValue:
        return []
    digests = [envelope.blind_index(vault_field, normalized, version)
               for version in keys.get_provider().versions()]
    return list(VaultValue.objects.filter(field=field, blind_index__in=digests)
                .values_list("subject_id", flat=True).distinct())


def _catalog_refusal(category: str, purpose: str) -> str:
    """A refusal code when the catalog does not let ``purpose`` process ``category``."""
    if not Purpose.objects.filter(key=purpose, retired=False).exists():
        return UNKNOWN_PURPOSE
    if not selectors.purpose_covers(purpose, category):
        return PURPOSE_NOT_PERMITTED
    return ""


def _record_refusal(*, actor: Actor, subject: Subject, action: str, category: str,
                    purpose: str, refusal: str, detail: dict, legal_basis: str = "") -> None:
    """Audit a refusal in its own transaction, so it stays when the caller answers 403."""
    known = refusal != UNKNOWN_PURPOSE
    with transaction.atomic():
        audit.record(actor=actor, action=action, subject=subject, categories=[category],
                     purpose=purpose if known else "", legal_basis=legal_basis,
                     outcome=Outcome.DENIED,
                     detail={**detail, "refusal": refusal,
                             **({} if known else {"purpose_asked": purpose[:64]})})


def _reveal_refusal(subject: Subject, category: str, purpose: str) -> tuple[str, str]:
    """(refusal code or "", legal basis) for revealing a value of ``category`` for ``purpose``."""
    refusal = _catalog_refusal(category, purpose)
    if refusal:
        return refusal, ""
    from piwarden.consent.decisions import decide

    decision = decide(subject.pk, purpose, [category])
    return ("" if decision.allowed else decision.reason), decision.legal_basis or ""


@sensitive_variables("plaintext")
def reveal(*, actor: Actor, subject: Subject, field: str, purpose: str,
           reason: str = "", ip: str = "") -> str | None:
    """The plaintext of one value, when the catalog and the subject's consent allow the purpose.

    Raises RevealRefused (``.reason`` is a machine code) otherwise; the refusal is audited.
    Reveals of sensitive categories and every staff reveal are audited (``reason`` goes into
    the record's detail). None when no value is stored. ``ip``: the staff member's address
    (default: the request's), refused from an overseas network no transfer record covers.
    """
    vault_field = fields.get(field)
    category = vault_field.category
    detail = {"field": field, **({"reason": reason} if reason else {})}
    refusal, legal_basis = _reveal_refusal(subject, category, purpose)
    # Staff reading PI from an overseas network: the address is the request's
    # (every staff path that opens a value or a sealed file), or the one passed.
    ip = ip or client_ip_var.get()
    if not refusal and ip and actor.kind == ActorKind.STAFF:
        from piwarden.transfers import network

        refusal = network.refusal(ip, category)
    if refusal:
        _record_refusal(actor=actor, subject=subject, action="vault.reveal_refused",
                        category=category, purpose=purpose, refusal=refusal, detail=detail,
                        legal_basis=legal_basis)
        raise RevealRefused(refusal, f"revealing {field} for {purpose} is refused: {refusal}")
    with transaction.atomic():
        row = (VaultValue.objects.filter(subject=subject, field=field)
               .select_related("subject__vault_key").first())
        if row is None:
            return None
        plaintext = envelope.open_value(data_key=row.subject.vault_key, field=field,
                               ciphertext=row.ciphertext, key_version=row.key_version)
        sensitive = DataCategory.objects.filter(key=category, grade=Grade.SENSITIVE).exists()
        if sensitive or actor.kind == ActorKind.STAFF:
            audit.record(actor=actor, action="vault.value_revealed", subject=subject, obj=row,
                         categories=[category], purpose=purpose, legal_basis=legal_basis,
                         detail={**detail, "key_version": row.key_version})
        return plaintext


# --- master key rotation -----------------------------------------------------------------

@dataclass(frozen=True)
class RotationResult:
    to_version: int
    rewrapped: int
    reindexed: int


def _reindex_subject(data_key: DataKey, aead: AESGCM, version: int) -> int:
    """Recompute the subject's blind indexes under ``version``; returns how many changed."""
    prefix = f"{version}:"
    changed = 0
    for row in VaultValue.objects.filter(subject_id=data_key.subject_id).exclude(blind_index=""):
        if row.blind_index.startswith(prefix) or row.field not in _registered():
            continue
        plaintext = crypto.open_sealed(
            aead, bytes(row.ciphertext),
            crypto.value_aad(data_key.subject_id, row.field, row.key_version))
        row.blind_index = envelope.blind_index(fields.get(row.field), plaintext, version)
        row.save(update_fields=["blind_index"])
        changed += 1
    return changed


def _rotate_batch(*, actor: Actor, subject_ids: list, version: int) -> tuple[int, int]:
    rewrapped = reindexed = 0
    from_versions = set()
    with transaction.atomic():
        for subject_id in subject_ids:
            data_key = _locked_data_key(Subject(pk=subject_id))
            if data_key is None or data_key.shredded_at is not None:
                continue
            aead = envelope.data_key_cipher(data_key)
            if data_key.master_version != version:
                from_versions.add(data_key.master_version)
                raw = keys.get_provider().unwrap(
                    data_key.master_version, bytes(data_key.wrapped),
                    crypto.data_key_aad(subject_id, data_key.master_version))
                data_key.wrapped = keys.get_provider().wrap(
                    version, raw, crypto.data_key_aad(subject_id, version))
                data_key.master_version = version
                data_key.rewrapped_at = timezone.now()
                data_key.save(update_fields=["wrapped", "master_version", "rewrapped_at"])
                rewrapped += 1
            reindexed += _reindex_subject(data_key, aead, version)
        if rewrapped or reindexed:
            audit.record(actor=actor, action="vault.keys_rotated",
                         detail={"to_version": version, "from_versions": sorted(from_versions),
                                 "rewrapped": rewrapped, "reindexed": reindexed})
    return rewrapped, reindexed


def rotate(*, actor: Actor, batch_size: int = 500) -> RotationResult:
    """Re-wrap every data key and re-make every blind index under the newest master key.

    Works in short batches, each its own transaction, so the site keeps running; reads keep
    working throughout because older master key versions stay configured until retired.
    """
    version = keys.get_provider().current_version()
    index_prefix = f"{version}:"
    total_rewrapped = total_reindexed = 0
    last = None
    while True:
        stale_keys = DataKey.objects.filter(shredded_at__isnull=True).exclude(
            master_version=version).values_list("subject_id", flat=True)
        stale_indexes = VaultValue.objects.exclude(blind_index="").exclude(
            blind_index__startswith=index_prefix).values_list("subject_id", flat=True)
        query = Subject.objects.filter(Q(pk__in=stale_keys) | Q(pk__in=stale_indexes))
        if last is not None:
            query = query.filter(pk__gt=last)
        batch = list(query.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not batch:
            break
        rewrapped, reindexed = _rotate_batch(actor=actor, subject_ids=batch, version=version)
        total_rewrapped += rewrapped
        total_reindexed += reindexed
        last = batch[-1]
    return RotationResult(version, total_rewrapped, total_reindexed)


def key_status() -> dict:
    """Which master key versions are configured and which ones stored data still needs."""
    provider = keys.get_provider()
    configured = provider.versions()
    live = DataKey.objects.filter(shredded_at__isnull=True)
    data_keys = {v: live.filter(master_version=v).count()
                 for v in sorted(set(live.values_list("master_version", flat=True)))}
    indexes = {}
    for version in configured:
        count = VaultValue.objects.filter(blind_index__startswith=f"{version}:").count()
        if count:
            indexes[version] = count
    indexed_total = VaultValue.objects.exclude(blind_index="").count()
    in_use = set(data_keys) | set(indexes)
    return {
        "current_version": provider.current_version(),
        "configured_versions": configured,
        "data_keys_by_master_version": data_keys,
        "blind_indexes_by_version": indexes,
        "blind_indexes_of_unconfigured_versions": indexed_total - sum(indexes.values()),
        "shredded_subjects": DataKey.objects.filter(shredded_at__isnull=False).count(),
        "versions_in_use": sorted(in_use),
        "retirable_versions": [v for v in configured
                               if v not in in_use and v != provider.current_version()],
    }
