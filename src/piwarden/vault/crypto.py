"""AES-256-GCM sealing of single values and the per-process cache of unwrapped data keys.

A sealed value is ``0x01 || nonce(12) || ciphertext+tag``. Its associated data names the
subject, the field and the data key version, so a ciphertext copied to another row or field
does not open.
"""

import secrets
import threading
import time
import uuid
from collections import OrderedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from piwarden.vault.errors import DecryptionFailed

FORMAT = b"\x01"
NONCE_BYTES = 12


def _uuid_hex(subject_id) -> str:
    return subject_id.hex if isinstance(subject_id, uuid.UUID) else uuid.UUID(str(subject_id)).hex


def value_aad(subject_id, field: str, key_version: int) -> bytes:
    return f"piwarden.vault.value|{_uuid_hex(subject_id)}|{field}|{key_version}".encode()


def data_key_aad(subject_id, master_version: int) -> bytes:
    return f"piwarden.vault.data-key|{_uuid_hex(subject_id)}|{master_version}".encode()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(aead: AESGCM, plaintext: str, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return FORMAT + nonce + aead.encrypt(nonce, plaintext.encode(), aad)


def open_sealed(aead: AESGCM, sealed: bytes, aad: bytes) -> str:
    if sealed[:1] != FORMAT:
        raise DecryptionFailed("unknown ciphertext format")
    try:
        return aead.decrypt(sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:], aad).decode()
    except InvalidTag:
        raise DecryptionFailed(
            "the value does not open under this subject, field and key "
            "(changed, or copied from another row)"
        ) from None


class DataKeyCache:
    """Unwrapped data keys for a short time, so repeated reads skip the master-key call.

    Entries are keyed by the wrapped bytes themselves: a shredded or re-wrapped key never
    matches a stale entry, because every read fetches the current wrapped key from the database.
    """

    def __init__(self, max_entries: int = 4096, ttl_seconds: float = 60.0):
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[tuple, tuple[float, AESGCM]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> AESGCM | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple, aead: AESGCM) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl_seconds, aead)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget_subject(self, subject_id) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == subject_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
