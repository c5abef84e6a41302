"""The accounts app's settings, read at call time with their defaults (never at import)."""

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_noop

DEFAULT_SERVICES = {
    # service key: (English name, profile fields it needs), policy §2.1(1)
    "invoicing": (gettext_noop("Invoices (fapiao)"), ["name", "id_info", "address"]),
    "hardware_support": (gettext_noop("On-site hardware support"),
                         ["name", "address", "contact_other"]),
    "newsletter": (gettext_noop("Product newsletter"), []),
}


def sms_backend() -> str:
    return getattr(settings, "PIWARDEN_SMS_BACKEND", "piwarden.accounts.sms.MessageFileBackend")


def sms_file() -> Path:
    return Path(getattr(settings, "PIWARDEN_SMS_FILE", Path(settings.DATA_DIR) / "sms.jsonl"))


def avatar_dir() -> Path:
    return Path(getattr(settings, "PIWARDEN_AVATAR_DIR", Path(settings.DATA_DIR) / "avatars"))


def avatar_max_bytes() -> int:
    return int(getattr(settings, "PIWARDEN_AVATAR_MAX_BYTES", 2 * 1024 * 1024))


def immutable_fields() -> frozenset[str]:
    """Profile fields that cannot be self-edited once set (policy §6.2); see docs/accounts.md."""
    return frozenset(getattr(settings, "PIWARDEN_IMMUTABLE_FIELDS", ["id_info"]))


def correction_request_url() -> str:
    """Where an immutable field's correction is asked for: a rights request by default."""
    return settings.PIWARDEN_CORRECTION_REQUEST_URL


def services() -> dict[str, tuple[str, list[str]]]:
    return getattr(settings, "PIWARDEN_ACCOUNT_SERVICES", DEFAULT_SERVICES)


def site_url() -> str:
    """The public origin put in links sent by e-mail (the guardian's confirmation link)."""
    return getattr(settings, "PIWARDEN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
