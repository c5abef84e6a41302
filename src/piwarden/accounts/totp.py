"""TOTP (RFC 6238) checks shared by the person's and the staff member's second factor."""

import hmac

import pyotp
from django.utils import timezone


def new_secret() -> str:
    return pyotp.random_base32()


def uri(secret: str, *, name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name="piwarden")


def matching_step(secret: str, code: str, *, after: int) -> int | None:
    """The time step ``code`` is valid for (the current one, or one either side for clock
    drift), or None. Only steps later than ``after`` count, so a used code is not replayed."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(timezone.now().timestamp()) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
