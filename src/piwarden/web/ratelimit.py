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


def hits(bucket: str, key: str, *, window: int) -> int:
    """How many hits ``key`` made in the last ``window`` seconds."""
    from piwarden.accounts.models import ThrottleEvent

    since = timezone.now() - datetime.timedelta(seconds=window)
    return ThrottleEvent.objects.filter(scope=bucket, key=_digest(bucket, key),
                                        created_at__gte=since).count()


def hit(bucket: str, key: str) -> None:
    from piwarden.accounts.models import ThrottleEvent

    ThrottleEvent.objects.create(scope=bucket, key=_digest(bucket, key),
                                 created_at=timezone.now())


def clear(bucket: str, key: str) -> None:
    from piwarden.accounts.models import ThrottleEvent

    ThrottleEvent.objects.filter(scope=bucket, key=_digest(bucket, key)).delete()


def allow(bucket: str, key: str, *, limit: int, window: int) -> bool:
    """Count one hit for ``key``; False once it made ``limit`` hits in the last ``window``
    seconds (a refused hit is not counted). Two hits racing at the limit may both pass."""
    if hits(bucket, key, window=window) >= limit:
        return False
    hit(bucket, key)
    return True


def client_ip(request) -> str:
    """The peer address. Behind a proxy, deploy with a middleware that sets REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR", "")
