"""Master keys: who holds them and the only code that touches them (the key provider).

A provider wraps and unwraps per-subject data keys and computes blind indexes, each under a
numbered master key version. The current version (used for new wraps and indexes) is the
newest one unless another is named: a new version is first added *pending*, so that every
process can read and look up with it before any process writes with it. The local provider
keeps the master secrets in ``PIWARDEN_MASTER_KEYS`` (``1:base64,2:base64``, current version
optionally pinned by ``PIWARDEN_MASTER_KEY_CURRENT``) or, when that is unset, in a key file
generated once in the data folder (0600, git-ignored, never in the database or its backups).
A KMS/HSM provider implements the same methods (``settings.PIWARDEN_VAULT_KEY_PROVIDER`` names
a callable that returns one), so master secrets never need to leave it.
"""

import base64
import binascii
import json
import os
import secrets
import threading
from abc import ABC, abstractmethod
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.module_loading import import_string

from piwarden.vault.errors import DecryptionFailed, KeyUnavailable

ENV_VAR = "PIWARDEN_MASTER_KEYS"
CURRENT_ENV_VAR = "PIWARDEN_MASTER_KEY_CURRENT"
KEY_FILE_NAME = "vault-master-keys.json"
NONCE_BYTES = 12


class KeyProvider(ABC):
    """Master-key operations; implementations must be safe to call from several threads."""

    @abstractmethod
    def versions(self) -> list[int]:
        """Every master key version this provider can use, ascending."""

    def current_version(self) -> int:
        """The version new data keys are wrapped with and new blind indexes are made with."""
        return max(self.versions())

    @abstractmethod
    def wrap(self, version: int, data_key: bytes, aad: bytes) -> bytes:
        """Encrypt a data key under master key ``version``, bound to ``aad``."""

    @abstractmethod
    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        """Decrypt a wrapped data key; KeyUnavailable or DecryptionFailed when it cannot."""

    @abstractmethod
    def blind_index(self, version: int, message: bytes) -> bytes:
        """A keyed MAC of ``message`` under the index key of ``version``."""


def _derive(secret: bytes, label: str) -> bytes:
    """Separate keys per use from one master secret, so the index key never wraps keys."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=label.encode()).derive(secret)


class LocalKeyProvider(KeyProvider):
    """Master secrets held in this process (from the environment or the key file)."""

    def __init__(self, secrets_by_version: dict[int, bytes], current: int | None = None,
                 reload=None):
        """``reload`` (optional) returns fresh ``(secrets_by_version, current)`` on a miss."""
        self._reload = reload
        self._lock = threading.Lock()
        self._load(secrets_by_version, current)

    def _load(self, secrets_by_version: dict[int, bytes], current: int | None) -> None:
        if not secrets_by_version:
            raise KeyUnavailable("no master key is configured")
        for version, secret in secrets_by_version.items():
            if version < 1 or len(secret) != 32:
                raise KeyUnavailable(f"master key {version}: versions start at 1 and keys "
                                     "are 32 bytes")
        if current is not None and current not in secrets_by_version:
            raise KeyUnavailable(f"the current master key version {current} is not configured")
        self._current = current if current is not None else max(secrets_by_version)
        self._wrap = {v: AESGCM(_derive(s, f"piwarden.vault.wrap.v{v}"))
                      for v, s in secrets_by_version.items()}
        self._index = {v: _derive(s, f"piwarden.vault.blind-index.v{v}")
                       for v, s in secrets_by_version.items()}

    def versions(self) -> list[int]:
        return sorted(self._wrap)

    def current_version(self) -> int:
        return self._current

    def _aead(self, version: int) -> AESGCM:
        aead = self._wrap.get(version)
        if aead is None and self._reload is not None:
            # Another process may have added a version to the key file since we loaded it.
            with self._lock:
                self._load(*self._reload())
            aead = self._wrap.get(version)
        if aead is None:
            raise KeyUnavailable(f"master key version {version} is not configured")
        return aead

    def wrap(self, version: int, data_key: bytes, aad: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead(version).encrypt(nonce, data_key, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        aead = self._aead(version)
        try:
            return aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionFailed("the data key does not open under its master key") from None

    def blind_index(self, version: int, message: bytes) -> bytes:
        self._aead(version)  # the same reload-or-refuse rule as for wrapping
        mac = hmac.HMAC(self._index[version], hashes.SHA256())
        mac.update(message)
        return mac.finalize()


def parse_env(value: str) -> dict[int, bytes]:
    """``1:base64,2:base64`` → {1: key, 2: key}."""
    keys = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        version, sep, encoded = item.partition(":")
        try:
            if not sep:
                raise ValueError
            keys[int(version)] = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise KeyUnavailable(f"{ENV_VAR} must look like 1:base64key,2:base64key") from None
    return keys


def key_file() -> Path:
    return Path(settings.DATA_DIR) / KEY_FILE_NAME


def _read_key_file(path: Path) -> tuple[dict[int, bytes], int]:
    data = json.loads(path.read_text())
    keys = {int(v): base64.b64decode(k) for v, k in data["master_keys"].items()}
    return keys, int(data.get("current") or max(keys))


def _write_key_file(path: Path, keys: dict[int, bytes], current: int, *, replace: bool) -> None:
    """Write to a private temporary file, then move it in place atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"current": current,
                   "master_keys": {str(v): base64.b64encode(k).decode()
                                   for v, k in sorted(keys.items())}}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if another process created the file first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def load_key_file() -> tuple[dict[int, bytes], int]:
    """The key file's keys and current version, generating version 1 on first use."""
    path = key_file()
    if not path.exists():
        _write_key_file(path, {1: secrets.token_bytes(32)}, 1, replace=False)
    return _read_key_file(path)


def _editable_key_file() -> tuple[dict[int, bytes], int]:
    if os.environ.get(ENV_VAR):
        raise KeyUnavailable(f"master keys come from {ENV_VAR}: change them there")
    return load_key_file()


def add_key_file_version() -> int:
    """Add a new master key version to the key file, pending: readable, not yet current."""
    keys, current = _editable_key_file()
    version = max(keys) + 1
    keys[version] = secrets.token_bytes(32)
    _write_key_file(key_file(), keys, current, replace=True)
    return version


def activate_key_file_version(version: int) -> None:
    """Make ``version`` the one new data keys and blind indexes use."""
    keys, _ = _editable_key_file()
    if version not in keys:
        raise KeyUnavailable(f"master key version {version} is not in the key file")
    _write_key_file(key_file(), keys, version, replace=True)


def remove_key_file_version(version: int) -> None:
    """Destroy one master key version in the key file (the caller checks it is unused)."""
    keys, current = _editable_key_file()
    if version not in keys:
        raise KeyUnavailable(f"master key version {version} is not in the key file")
    if version == current:
        raise KeyUnavailable("the current master key version cannot be removed")
    del keys[version]
    _write_key_file(key_file(), keys, current, replace=True)


def local_provider() -> LocalKeyProvider:
    """Keys from PIWARDEN_MASTER_KEYS when set, else from the data folder's key file."""
    value = os.environ.get(ENV_VAR)
    if value:
        current = os.environ.get(CURRENT_ENV_VAR, "").strip()
        if current and not current.isdigit():
            raise KeyUnavailable(f"{CURRENT_ENV_VAR} must be a version number")
        return LocalKeyProvider(parse_env(value), int(current) if current else None)
    keys, current = load_key_file()
    return LocalKeyProvider(keys, current, reload=load_key_file)


_provider: KeyProvider | None = None
_provider_lock = threading.Lock()


def get_provider() -> KeyProvider:
    global _provider
    if _provider is None:
        with _provider_lock:
            if _provider is None:
                factory = getattr(settings, "PIWARDEN_VAULT_KEY_PROVIDER",
                                  "piwarden.vault.keys.local_provider")
                _provider = import_string(factory)()
    return _provider


def reset_provider() -> None:
    """Forget the provider, so the next call reads the configuration again."""
    global _provider
    _provider = None
