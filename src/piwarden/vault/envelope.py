"""The vault's envelope: data keys, sealing values, blind indexes (no audit, no policy).

Internal to the vault: ``services`` adds the purpose checks and the audit trail on top, and
other apps call ``services`` only. The bench uses these functions to seed data in bulk.
"""

import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.views.decorators.debug import sensitive_variables

from piwarden.vault import crypto, fields, keys
from piwarden.vault.errors import SubjectShredded
from piwarden.vault.models import DataKey

key_cache = crypto.DataKeyCache()


def create_data_key(subject_id: uuid.UUID) -> tuple[DataKey, AESGCM]:
    """A fresh data key for a subject, wrapped under the current master key (not saved)."""
    provider = keys.get_provider()
    version = provider.current_version()
    raw = crypto.new_data_key()
    wrapped = provider.wrap(version, raw, crypto.data_key_aad(subject_id, version))
    return DataKey(subject_id=subject_id, master_version=version, wrapped=wrapped), AESGCM(raw)


def wrap_new_key(owner_id: uuid.UUID) -> tuple[int, bytes, AESGCM]:
    """``create_data_key`` without the model instance: ``(master version, wrapped key,
    cipher)`` of a fresh data key bound to ``owner_id``. For callers that write the wrapped
    key into columns of their own in bulk (the outbox seals each message under one)."""
    provider = keys.get_provider()
    version = provider.current_version()
    raw = crypto.new_data_key()
    return version, provider.wrap(version, raw, crypto.data_key_aad(owner_id, version)), \
        AESGCM(raw)


def data_key_cipher(data_key: DataKey) -> AESGCM:
    """The subject's unwrapped data key, from the per-process cache when it is there."""
    if data_key.shredded_at is not None:
        raise SubjectShredded("this subject's data key was destroyed")
    return cipher(data_key.subject_id, data_key.master_version, bytes(data_key.wrapped))


def cipher(subject_id: uuid.UUID, master_version: int, wrapped: bytes) -> AESGCM:
    """A data key unwrapped from its columns (callers reading rows in bulk have no model
    instances), from the per-process cache when it is there."""
    cache_key = (subject_id, master_version, wrapped)
    aead = key_cache.get(cache_key)
    if aead is None:
        raw = keys.get_provider().unwrap(master_version, wrapped,
                                         crypto.data_key_aad(subject_id, master_version))
        aead = AESGCM(raw)
        key_cache.put(cache_key, aead)
    return aead


def blind_index(vault_field: fields.VaultField, normalized: str, version: int) -> str:
    message = f"{vault_field.name}\x00{vault_field.index_form(normalized)}".encode()
    return f"{version}:{keys.get_provider().blind_index(version, message).hex()}"


@sensitive_variables("normalized")
def sealed_columns(*, data_key: DataKey, aead: AESGCM, vault_field: fields.VaultField,
                   normalized: str) -> dict:
    """The columns of a VaultValue for an already normalized value."""
    aad = crypto.value_aad(data_key.subject_id, vault_field.name, data_key.version)
    index = ""
    if vault_field.indexed:
        index = blind_index(vault_field, normalized, keys.get_provider().current_version())
    return {
        "ciphertext": crypto.seal(aead, normalized, aad),
        "key_version": data_key.version,
        "mask": vault_field.mask(normalized),
        "blind_index": index,
    }


def open_value(*, data_key: DataKey, field: str, ciphertext: bytes, key_version: int) -> str:
    """Decrypt one stored ciphertext. Internal: callers outside the vault use reveal()."""
    return open_with(data_key_cipher(data_key), subject_id=data_key.subject_id, field=field,
                     ciphertext=ciphertext, key_version=key_version)


def open_with(aead: AESGCM, *, subject_id: uuid.UUID, field: str, ciphertext: bytes,
              key_version: int) -> str:
    return crypto.open_sealed(aead, bytes(ciphertext),
                              crypto.value_aad(subject_id, field, key_version))
