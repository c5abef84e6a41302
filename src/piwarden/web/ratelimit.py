"""Fixed-window rate limits on Django's cache, for public endpoints that write or send."""

import time

from django.core.cache import cache


def allow(bucket: str, key: str, *, limit: int, window: int) -> bool:
    """Count one hit for ``key``; False once it made ``limit`` hits in this ``window`` (s)."""
    slot = f"rl:{bucket}:{key}:{int(time.time()) // window}"
    if cache.add(slot, 1, timeout=window + 1):
        return True
    try:
        return cache.incr(slot) <= limit
    except ValueError:  # the slot expired between add and incr: this is its first hit
        cache.add(slot, 1, timeout=window + 1)
        return True


def client_ip(request) -> str:
    """The peer address. Behind a proxy, deploy with a middleware that sets REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR", "")
