"""Signed one-click unsubscribe links for marketing messages (no sign-in needed)."""

from django.core import signing
from django.urls import reverse

MARKETING_PURPOSES = ("marketing.email", "marketing.sms", "marketing.phone")
_SALT = "piwarden.consent.unsubscribe"


def unsubscribe_token(subject_id, purpose: str) -> str:
    if purpose not in MARKETING_PURPOSES:
        raise ValueError(f"not a marketing purpose: {purpose}")
    return signing.dumps({"s": str(subject_id), "p": purpose}, salt=_SALT, compress=True)


def unsubscribe_path(subject_id, purpose: str) -> str:
    """The path to put in a message (and in its List-Unsubscribe header, RFC 8058)."""
    return reverse("consent:unsubscribe", args=[unsubscribe_token(subject_id, purpose)])


def read_token(token: str) -> tuple[str, str] | None:
    """(subject id, purpose), or None for a forged or damaged token. Links do not expire:
    an old newsletter must still unsubscribe."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") not in MARKETING_PURPOSES:
        return None
    return data["s"], data["p"]
