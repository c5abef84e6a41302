"""Sliding-window rate limits for public endpoints that write or send, counted in the database.

Counted where every process on every host sees them (``accounts.ThrottleEvent``, the store the
login and code limits use), so adding web hosts does not multiply a limit. The key (an IP
address) is stored only as a keyed digest; ``piwarden accounts_purge`` deletes old hits.
"""

import datetime
import hashlib
import hmac

from django.conf import settings
from django.utils import timezone


def _digest(bucket: str, key: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{bucket}\0{key}".encode(),
                    hashlib.sha256).hexdigest()


def allow(bucket: str, key: str, *, limit: int, window: int) -> bool:
    """Count one hit for ``key``; False once it made ``limit`` hits in the last ``window``
    seconds (a refused hit is not counted). Two hits racing at the limit may both pass."""
    from piwarden.accounts.models import ThrottleEvent

    digest, now = _digest(bucket, key), timezone.now()
    since = now - datetime.timedelta(seconds=window)
    if ThrottleEvent.objects.filter(scope=bucket, key=digest, created_at__gte=since).count() \
            >= limit:
        return False
    ThrottleEvent.objects.create(scope=bucket, key=digest, created_at=now)
    return True


def client_ip(request) -> str:
    """The peer address. Behind a proxy, deploy with a middleware that sets REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR", "")
