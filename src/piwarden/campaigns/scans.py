"""The signed consent form's scan, encrypted before it touches the disk.

Each scan gets its own random AES-256-GCM key. The key is the entry subject's vault value
``campaigns_scan_key`` (so it is wrapped by the subject's data key, itself wrapped by the
vault's master key, and crypto-shredding the subject destroys it); the file stored under
MEDIA_ROOT, as the consent event's evidence, holds only ``0x01 ‖ nonce ‖ ciphertext`` bound to
the entry id. MEDIA_ROOT is never served: staff with ``campaigns.view_scan`` read it through
the console, where every view is audited.
"""

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from piwarden.vault.errors import DecryptionFailed, InvalidValue

FORMAT = b"\x01"
TYPES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg",
         b"\x89PNG\r\n\x1a\n": "image/png"}


def content_type(data: bytes) -> str | None:
    """The scan's type from its first bytes: PDF, JPEG or PNG only."""
    for magic, kind in TYPES.items():
        if data.startswith(magic):
            return kind
    return None


def _aad(entry_id) -> bytes:
    return f"piwarden.campaigns.scan|{entry_id}".encode()


def seal(data: bytes, entry_id) -> tuple[bytes, str]:
    """Encrypt a scan; returns the stored bytes and the key (base64) for the vault."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    blob = FORMAT + nonce + AESGCM(key).encrypt(nonce, data, _aad(entry_id))
    return blob, base64.b64encode(key).decode()


def open_(blob: bytes, key: str, entry_id) -> bytes:
    if not blob.startswith(FORMAT) or len(blob) < 29:
        raise DecryptionFailed("not an encrypted scan")
    try:
        return AESGCM(base64.b64decode(key)).decrypt(blob[1:13], blob[13:], _aad(entry_id))
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise DecryptionFailed("the scan does not open under its key") from exc


def normalize_key(value: str) -> str:
    """The vault's normalizer for ``campaigns_scan_key``: 32 bytes in base64."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise InvalidValue("not a base64 key") from None
    if len(raw) != 32:
        raise InvalidValue("a scan key has 32 bytes")
    return value


def mask_key(value: str) -> str:
    return "••••••"
