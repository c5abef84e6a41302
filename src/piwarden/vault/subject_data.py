"""The vault in the subject-data registry: the subject's PI values, decrypted for an export.

Export reveals each value through ``vault.services.reveal`` for the purpose
``rights.requests`` (catalog activity ``rights.access_copy``), so the catalog and the decision
service are asked as for any other reveal. Credentials (the TOTP secret) are never exported:
only that one is set. Erase deletes the values of the covered categories; after an erasure of
everything the engine shreds the data key itself (``vault.services.shred``).
"""

from django.db import connection

from piwarden import bulk
from piwarden.audit.actors import Actor
from piwarden.consent.erasure import covered
from piwarden.subjects import registry
from piwarden.subjects.models import Subject
from piwarden.vault import envelope, fields, services
from piwarden.vault.models import DataKey, VaultValue

NAME = "vault.values"
PURPOSE = "rights.requests"
ACTOR = Actor.system("subjectdata.export")


def _field(name: str):
    try:
        return fields.get(name)
    except services.UnknownField:
        return None


def export(subject: Subject) -> dict[str, list[dict]]:
    rows = []
    values = VaultValue.objects.filter(subject=subject).order_by("field")
    for field, updated_at in values.values_list("field", "updated_at"):
        vault_field = _field(field)
        category = vault_field.category if vault_field else ""
        if not category or category.startswith("user.credentials") or vault_field.secret:
            value = "(set; a credential or key is never exported)"
        else:
            value = services.reveal(actor=ACTOR, subject=subject, field=field, purpose=PURPOSE)
        rows.append({"field": field, "category": category, "value": value,
                     "updated_at": updated_at.isoformat()})
    return {"values": rows}


def _providable(vault_field) -> bool:
    return not (vault_field.secret or vault_field.category.startswith("user.credentials"))


def package(subject_ids: list, categories: frozenset[str], *, chunk: int = 5000) -> dict:
    """The values of the vault fields in ``categories`` for many people, decrypted in bulk for
    a provision the sharing gateway has checked (consent, allowlist) and audits per batch.
    Credentials and file keys never leave. Shredded people have nothing to give. Raw SQL with
    the ids as one parameter: at tens of thousands of people the ORM's per-row work was most
    of the cost."""
    names = [f.name for f in fields.all_fields()
             if _providable(f) and covered(f.category, set(categories))]
    out: dict = {}
    if not names:
        return out
    keys_table, values_table = DataKey._meta.db_table, VaultValue._meta.db_table
    fields_in = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        for start in range(0, len(subject_ids), chunk):
            where, params = bulk.uuid_in("k.subject_id", subject_ids[start:start + chunk],
                                         connection)
            cursor.execute(
                f"SELECT k.subject_id, k.master_version, k.wrapped, v.field, v.ciphertext, "  # noqa: S608
                f"v.key_version FROM {keys_table} k JOIN {values_table} v "
                f"ON v.subject_id = k.subject_id WHERE {where} AND k.shredded_at IS NULL "
                f"AND v.field IN ({fields_in}) ORDER BY k.subject_id", [*params, *names])
            current, aead = None, None
            for raw_id, master, wrapped, field, ciphertext, version in cursor.fetchall():
                if raw_id != current:
                    current, subject_id = raw_id, bulk.as_uuid(raw_id)
                    aead = envelope.cipher(subject_id, master, bytes(wrapped))
                    values = out.setdefault(subject_id, {})
                values[field] = envelope.open_with(aead, subject_id=subject_id, field=field,
                                                   ciphertext=ciphertext, key_version=version)
    return out


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    stored = VaultValue.objects.filter(subject=subject).values_list("field", flat=True)
    erased = 0
    for field in list(stored):
        vault_field = _field(field)
        if vault_field is None:  # no longer registered: only the final shred removes it
            continue
        if categories is None or covered(vault_field.category, categories):
            erased += services.delete(actor=actor, subject=subject, field=field,
                                      purpose=PURPOSE)
    return registry.Erased(erased=erased)


def register() -> None:
    registry.register(registry.Source(
        name=NAME, models=(VaultValue, DataKey), categories=("user",), export=export,
        erase=erase, identifies=True, package=package))
