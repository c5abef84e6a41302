"""Per-process memos of the sites tables, read on hot paths (collection, consent notices).

A memo is rebuilt when this process changed a site or service (``changed``: at once and again
at commit), when the catalog changes (its freshness token, caches.md), and at the latest after
``TTL`` seconds for changes made by other processes. That bound is safe for the guard: an end
date is set at least 15 days ahead and the guard compares it with the clock itself, so every
process knows a closing long before it happens; only a handler rebinding made elsewhere can
show up to a minute late in a notice.
"""

import threading
import time
from collections.abc import Callable

from django.db import transaction

from piwarden.caches import freshness

TTL = 60.0
_generation = 0
_lock = threading.Lock()


def changed() -> None:
    """This process changed a site or service: forget every memo now and at commit."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    global _generation
    with _lock:
        _generation += 1


class Memo:
    def __init__(self, build: Callable[[], object]):
        self._build, self._key, self._until, self._value = build, None, 0.0, None

    def get(self):
        key = (freshness.token(freshness.CATALOG), _generation)
        now = time.monotonic()
        if key != self._key or now >= self._until:
            value = self._build()
            self._key, self._until, self._value = key, now + TTL, value
            return value
        return self._value

    def reset(self) -> None:
        self._key = None
