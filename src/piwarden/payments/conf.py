"""Settings of the payments app, read when used (never at import time)."""

from django.conf import settings


def retention_years() -> int:
    """How long transaction records are kept after an erasure (E-Commerce Law Art. 31: at
    least 3 years)."""
    years = settings.PIWARDEN_TRANSACTION_RETENTION_YEARS
    if years < 3:
        raise ValueError("PIWARDEN_TRANSACTION_RETENTION_YEARS must be at least 3 "
                         "(E-Commerce Law Art. 31)")
    return years
