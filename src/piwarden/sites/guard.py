"""The guard collection entry points call: 410 ``GONE`` once a service has ended (R-6.6).

A function is closed from its ``ends_at``; a purpose is closed when every service that uses it
is closed (a purpose another running service needs stays open). The answer comes from a
per-process memo (``memo.py``) holding the closing instants, compared with the clock on each
call, so a service closes on time on every process without a write or a notification; the
hot path (``collection.ingest``) costs a dict lookup, nothing when no service is ending.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from piwarden.errors import ServiceError
from piwarden.sites.errors import Gone
from piwarden.sites.memo import Memo
from piwarden.sites.models import Offering, OfferingStatus


def _closings() -> tuple[dict[str, datetime], dict[str, datetime]]:
    from piwarden.sites.ownership import functions

    rows = Offering.objects.exclude(status__in=[OfferingStatus.DRAFT]).values_list(
        "function", "status", "ends_at")
    ends: dict[str, datetime | None] = {}
    for function, status, ends_at in rows:
        closing = ends_at if status in (OfferingStatus.SUNSETTING, OfferingStatus.ENDED) \
            else None
        # A function offered on several sites closes when its last offering does.
        if function not in ends:
            ends[function] = closing
        elif ends[function] is None or closing is None:
            ends[function] = None
        else:
            ends[function] = max(ends[function], closing)
    closed_functions = {k: v for k, v in ends.items() if v is not None}
    users: dict[str, list[str]] = {}
    for function, purposes in functions().items():
        for purpose in purposes:
            users.setdefault(purpose, []).append(function)
    closed_purposes = {}
    for purpose, keys in users.items():
        closings = [closed_functions.get(k) for k in keys]
        if all(closings):
            closed_purposes[purpose] = max(closings)
    return closed_functions, closed_purposes


_memo = Memo(_closings)


def closed_purposes(now: datetime | None = None) -> frozenset[str]:
    """Purposes whose every service has ended by ``now``: nothing is collected for them."""
    _functions, purposes = _memo.get()
    if not purposes:
        return frozenset()
    now = now or timezone.now()
    return frozenset(p for p, at in purposes.items() if at <= now)


def check_open(*, function: str | None = None, purpose: str | None = None,
               error: type[ServiceError] | None = None) -> None:
    """Raise 410 ``GONE`` (as ``error`` when given, so a caller's pages catch their own
    error class) when the function, or every service using the purpose, has ended."""
    functions, purposes = _memo.get()
    now = timezone.now()
    closed = [at for at in (functions.get(function) if function else None,
                            purposes.get(purpose) if purpose else None)
              if at is not None and at <= now]
    if not closed:
        return
    cls = error or Gone
    raise cls("GONE", _("This service has ended and no longer collects personal "
                        "information."), status=410,
              detail={"function": function} if function else {"purpose": purpose})


def reset() -> None:
    _memo.reset()
