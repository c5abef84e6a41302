"""What the vault refuses; services re-exports these so callers write ``vault.RevealRefused``."""


class VaultError(Exception):
    """Base of every vault refusal."""


class InvalidValue(VaultError, ValueError):
    """The value does not normalize for its field (bad phone number, malformed e-mail…)."""


class UnknownField(VaultError, LookupError):
    """No vault field of that name is registered."""


class NotIndexed(VaultError):
    """find_subject_ids() was asked about a field that has no blind index."""


class SubjectShredded(VaultError):
    """The subject's data key was destroyed: nothing can be stored or read for it again."""


class KeyUnavailable(VaultError):
    """The master key version a data key was wrapped with is not configured here."""


class DecryptionFailed(VaultError):
    """The ciphertext does not open under its subject, field and key (tampered or moved)."""


class AccessRefused(VaultError):
    """The purpose may not touch this field; ``reason`` is a machine code (Z-1)."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


class RevealRefused(AccessRefused):
    """reveal() refused: PURPOSE_NOT_PERMITTED, UNKNOWN_PURPOSE or the consent decision's
    reason (consent_missing, consent_withdrawn, separate_consent_missing…)."""


class WriteRefused(AccessRefused):
    """put() refused: no processing activity of the purpose covers the field's category."""
