"""Sliding-window rate limits for public endpoints that write or send, counted in the database.

Counted where every process on every host sees them (``accounts.ThrottleEvent``, the store the
login and code limits use), so adding web hosts does not multiply a limit. The key (an IP
address) is stored only as a keyed digest; ``piwarden accounts_purge`` deletes old hits.
"""

import datetime
import hashlib
import hmac

from django.conf import settings
from django.db import connection, transaction
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


def take(scope: str, digest: str, *, limit: int, window: int) -> int | None:
    """Count one attempt first, then look: the id of the counted hit, or None (and nothing
    counted) when it would be hit number ``limit + 1`` within ``window`` seconds.

    Counting before deciding is what makes the limit hold across processes without a lock:
    each hit is committed before its own count runs, so of any set of concurrent attempts the
    k-th one to pass saw the k-1 passed before it, and at most ``limit`` pass (a check-then-
    count let six of five through). Call it outside a transaction, or the hit is not yet
    visible to the others. ``digest`` is the stored key (already a keyed digest).
    """
    from piwarden.accounts.models import ThrottleEvent

    now = timezone.now()
    row = ThrottleEvent.objects.create(scope=scope, key=digest, created_at=now)
    since = now - datetime.timedelta(seconds=window)
    if ThrottleEvent.objects.filter(scope=scope, key=digest, created_at__gte=since).count() > limit:
        row.delete()
        return None
    return row.pk


def reserve(bucket: str, key: str, *, limit: int, window: int) -> int | None:
    """``take`` for a plain key (an IP address, a username), stored as a keyed digest."""
    return take(bucket, _digest(bucket, key), limit=limit, window=window)


def release(hit_id: int) -> None:
    """Uncount one hit (an attempt that turned out not to count, such as a success)."""
    from piwarden.accounts.models import ThrottleEvent

    ThrottleEvent.objects.filter(pk=hit_id).delete()


def allow(bucket: str, key: str, *, limit: int, window: int) -> bool:
    """Count one hit for ``key``; False once it made ``limit`` hits in the last ``window``
    seconds (a refused hit is not counted). Atomic across processes (``take``)."""
    return reserve(bucket, key, limit=limit, window=window) is not None


def allow_serialized(bucket: str, key: str, *, limit: int, window: int) -> bool:
    """As ``allow``, and exact under concurrency: the hits of one key are counted one at a
    time (a PostgreSQL advisory lock on the key's digest; SQLite lets one writer in once the
    hit is inserted), so nine parallel hits against a limit of five let exactly five through,
    where ``take`` may let fewer (the hits it then removes are counted by the others)."""
    from piwarden.accounts.models import ThrottleEvent

    digest = _digest(bucket, key)
    since = timezone.now() - datetime.timedelta(seconds=window)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(digest[:15], 16)])
        ThrottleEvent.objects.create(scope=bucket, key=digest, created_at=timezone.now())
        if ThrottleEvent.objects.filter(scope=bucket, key=digest,
                                        created_at__gte=since).count() > limit:
            transaction.set_rollback(True)  # a refused hit is not counted
            return False
    return True


def client_ip(request) -> str:
    """The peer address. Behind a proxy, deploy with a middleware that sets REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR", "")
