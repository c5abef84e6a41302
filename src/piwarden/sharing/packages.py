"""A provision's package: sealed on disk under its own key, fetched through an expiring link.

The key is random per provision and kept wrapped by the vault's master key (never in the
clear at rest); the file is AES-256-GCM bound to the provision's id. The link's token is shown
once when the provision is made and stored only as its SHA-256.
"""

import hashlib
import json
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from piwarden.vault import keys

FORMAT = b"\x01"


def package_dir() -> Path:
    path = Path(settings.PIWARDEN_SHARING_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _aad(provision_id, what: str) -> bytes:
    return f"piwarden.sharing.{what}|{provision_id}".encode()


def seal(provision, content: dict) -> None:
    """Write the package of ``provision`` and set its key, file, digest (not saved)."""
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    provider = keys.get_provider()
    version = provider.current_version()
    raw = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    sealed = FORMAT + nonce + AESGCM(raw).encrypt(nonce, data, _aad(provision.id, "package"))
    path = package_dir() / f"{provision.id}.json.enc"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(sealed)
    provision.package = path.name
    provision.package_key = provider.wrap(version, raw, _aad(provision.id, "key"))
    provision.package_key_version = version
    provision.package_sha256 = hashlib.sha256(data).hexdigest()


def open_package(provision) -> bytes:
    """The package's JSON bytes (raises FileNotFoundError once it was deleted)."""
    sealed = (package_dir() / provision.package).read_bytes()
    if sealed[:1] != FORMAT:
        raise ValueError("unknown package format")
    raw = keys.get_provider().unwrap(provision.package_key_version, bytes(provision.package_key),
                                     _aad(provision.id, "key"))
    return AESGCM(raw).decrypt(sealed[1:13], sealed[13:], _aad(provision.id, "package"))


def delete(provision) -> None:
    if provision.package:
        (package_dir() / provision.package).unlink(missing_ok=True)


def new_token() -> tuple[str, str]:
    """(token for the link, its SHA-256 to store)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
