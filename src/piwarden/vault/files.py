"""Sealed files: evidence files (a scanned form, an ID card, a letter, an e-mail) encrypted
before they touch the disk, so MEDIA_ROOT holds no PI and crypto-shredding reaches them.

Design. A file is ``0x01 ‖ nonce(12) ‖ AES-256-GCM(data)``, its associated data
``piwarden.<kind>|<owner id>`` naming the kind of file and the row that owns it (a campaign
entry, a rights request, a consent event's ``evidence_id``): a file copied onto another row, or
into another kind, does not open. The key is a vault value of the person (one field per kind:
``campaigns_scan_key``, ``rights_evidence_key``, ``consent_evidence_key``), so it is wrapped by
the subject's data key and destroyed with it by ``vault.shred``. A subject holds one key per
kind, made on their first file (``subject_key``); each file has its own random nonce and its
own associated data, so the one key opens each of the person's files of that kind and nothing
else, and another subject's key opens none of them. (A campaign entry has its own subject, so
its scan key is in effect a key per scan.) Random 96-bit nonces are safe for the few files one
person has.

Staff read a file only through an audited service of the owning app (``open_stored``); the
vault audits the staff reveal of the key too. MEDIA_ROOT is never served.

Accepted types, checked on the first bytes: PDF, JPEG and PNG (``SCANS``); rights evidence also
takes an e-mail saved as text (``.eml``: starts with a header line, any charset) and plain
UTF-8 text (``DOCUMENTS``), always served as a download. Nothing else: no HTML (text starting
with ``<``), no office files. Only the bytes count, never the upload's name or type.
"""

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.debug import sensitive_variables

from piwarden.vault.errors import DecryptionFailed, InvalidValue

FORMAT = b"\x01"
MAX_BYTES = 10 * 1024 * 1024
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EML, TEXT = "message/rfc822", "text/plain; charset=utf-8"
SCANS = frozenset({PDF, JPEG, PNG})
DOCUMENTS = SCANS | {EML, TEXT}
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", EML: ".eml", TEXT: ".txt"}
_MAGIC = {b"%PDF-": PDF, b"\xff\xd8\xff": JPEG, b"\x89PNG\r\n\x1a\n": PNG}
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:[ \t]")  # RFC 5322 field name, colon


class FileRefused(ValueError):
    """An upload the owning app must refuse; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class FileGone(Exception):
    """No file, or its key was erased: the file no longer opens."""


def content_type(data: bytes) -> str | None:
    """The type from the first bytes (see the module docstring); None when not accepted."""
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    if not data or b"\x00" in data or data.lstrip()[:1] == b"<":  # no HTML, XML or SVG
        return None
    if _HEADER_LINE.match(data):
        return EML
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


def check(upload, types: frozenset[str]) -> tuple[bytes, str]:
    """The upload's bytes and type; FileRefused when too large or of a type not in ``types``."""
    if upload.size > MAX_BYTES:
        raise FileRefused("EVIDENCE_TOO_LARGE", "The file is larger than 10 MiB.")
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    kind = content_type(data)
    if kind not in types:
        names = "PDF, JPEG, PNG" + (", e-mail (.eml) or text" if EML in types else "")
        raise FileRefused("EVIDENCE_TYPE", f"The file must be one of: {names}.")
    return data, kind


def _aad(kind: str, owner_id) -> bytes:
    return f"piwarden.{kind}|{owner_id}".encode()


def new_key() -> str:
    """A random AES-256 key, base64, as the vault stores it."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def seal(data: bytes, *, key: str, kind: str, owner_id) -> bytes:
    nonce = os.urandom(12)
    return FORMAT + nonce + AESGCM(base64.b64decode(key)).encrypt(nonce, data,
                                                                  _aad(kind, owner_id))


def open_(blob: bytes, *, key: str, kind: str, owner_id) -> bytes:
    if not blob.startswith(FORMAT) or len(blob) < 29:
        raise DecryptionFailed("not a sealed file")
    try:
        return AESGCM(base64.b64decode(key)).decrypt(blob[1:13], blob[13:],
                                                     _aad(kind, owner_id))
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise DecryptionFailed("the file does not open under this key") from exc


def normalize_key(value: str) -> str:
    """The vault's normalizer for the key fields: 32 bytes in base64."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise InvalidValue("not a base64 key") from None
    if len(raw) != 32:
        raise InvalidValue("a file key has 32 bytes")
    return value


def mask_key(value: str) -> str:
    return "••••••"


@sensitive_variables("key")
def subject_key(*, actor, subject, field: str, purpose: str) -> str:
    """The subject's key of this kind, made on first use. The subject row is locked first, so
    two first files of one person cannot each make a key (the second would orphan the first)."""
    from piwarden.subjects.models import Subject
    from piwarden.vault import services as vault

    with transaction.atomic():
        Subject.objects.select_for_update(no_key=True).filter(pk=subject.pk).first()
        key = vault.reveal(actor=actor, subject=subject, field=field, purpose=purpose)
        if key is None:
            key = new_key()
            vault.put(actor=actor, subject=subject, field=field, value=key, purpose=purpose)
    return key


@sensitive_variables("data", "key")
def seal_upload(*, actor, subject, field: str, purpose: str, kind: str, owner_id, upload,
                types: frozenset[str]) -> ContentFile:
    """Check and seal an upload under the subject's key; the result, named after its owner's id
    (an uploaded file's name may itself be PI), is what the FileField saves."""
    data, _type = check(upload, types)
    key = subject_key(actor=actor, subject=subject, field=field, purpose=purpose)
    return ContentFile(seal(data, key=key, kind=kind, owner_id=owner_id),
                       name=f"{owner_id}.sealed")


@sensitive_variables("data", "key")
def open_stored(*, actor, subject, field: str, purpose: str, kind: str, owner_id, stored,
                reason: str) -> tuple[bytes, str]:
    """The plaintext and type of a stored sealed file (FieldFile ``stored``) for ``actor``;
    FileGone when the file or its key is gone (erased). The key's reveal is audited by the
    vault for staff; the caller audits the view itself."""
    from piwarden.vault import services as vault

    key = vault.reveal(actor=actor, subject=subject, field=field, purpose=purpose,
                       reason=reason) if stored else None
    if key is None:
        raise FileGone(kind)
    try:
        with stored.open("rb") as handle:
            blob = handle.read()
    except OSError:  # the file itself is gone (deleted, a restore without media)
        raise FileGone(kind) from None
    data = open_(blob, key=key, kind=kind, owner_id=owner_id)
    return data, content_type(data) or "application/octet-stream"


def download(data: bytes, kind: str, name: str) -> HttpResponse:
    """The response for an opened file: never cached, never type-sniffed by the browser, and
    only scans shown inline (a text file is always downloaded)."""
    response = HttpResponse(data, content_type=kind)
    disposition = "inline" if kind in SCANS else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}{EXTENSIONS.get(kind, "")}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
