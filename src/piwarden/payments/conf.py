"""Settings of the payments app, read when used (never at import time)."""

import os

from django.conf import settings


def retention_years() -> int:
    """How long transaction records are kept after an erasure (E-Commerce Law Art. 31: at
    least 3 years). ``PIWARDEN_TRANSACTION_RETENTION_YEARS`` in settings or the environment."""
    value = getattr(settings, "PIWARDEN_TRANSACTION_RETENTION_YEARS", None) or \
        os.environ.get("PIWARDEN_TRANSACTION_RETENTION_YEARS", "3")
    years = int(value)
    if years < 3:
        raise ValueError("PIWARDEN_TRANSACTION_RETENTION_YEARS must be at least 3 "
                         "(E-Commerce Law Art. 31)")
    return years
