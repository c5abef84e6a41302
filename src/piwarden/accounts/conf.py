"""The accounts app's settings, read at call time with their defaults (never at import)."""

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_noop

DEFAULT_SERVICES = {
    # service key: (English name, profile fields it needs, the purpose it serves), policy
    # §2.1(1). A separate consent the service needs (ID information) is filed under that
    # purpose, and what it stores is written and audited under it (issue 17 point 2).
    "invoicing": (gettext_noop("Invoices (fapiao)"), ["name", "id_info", "address"],
                  "payment.invoicing"),
    "hardware_support": (gettext_noop("On-site hardware support"),
                         ["name", "address", "contact_other"], "service.provision"),
    "newsletter": (gettext_noop("Product newsletter"), [], "marketing.email"),
}
# The purpose of a service declared without one (a two-item entry in the setting), and the
# purpose ID consents were filed under before services named theirs.
DEFAULT_SERVICE_PURPOSE = "service.provision"


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


def services() -> dict[str, tuple]:
    """service key -> (name, fields it needs[, purpose]); see ``service_purpose``."""
    return getattr(settings, "PIWARDEN_ACCOUNT_SERVICES", DEFAULT_SERVICES)


def service_purpose(service: str) -> str:
    """The catalog purpose a service serves: its consents are filed under it."""
    entry = services().get(service, ())
    return entry[2] if len(entry) > 2 and entry[2] else DEFAULT_SERVICE_PURPOSE


def id_purposes() -> list[str]:
    """The purposes ID information may be held for: those of the services that need it, and
    the one older consents were filed under (kept readable)."""
    found = [service_purpose(key) for key, entry in sorted(services().items())
             if "id_info" in (entry[1] if len(entry) > 1 else ())]
    return list(dict.fromkeys([*found, DEFAULT_SERVICE_PURPOSE]))


def site_url() -> str:
    """The public origin put in links sent by e-mail (the guardian's confirmation link)."""
    return getattr(settings, "PIWARDEN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
