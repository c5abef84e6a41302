"""Cross-process "has anything about this subject changed?" tokens, for per-process caches.

A memory-mapped file in the data folder holds one 64-bit token per bucket of subjects (plus one
for the catalog). A writer stores a fresh random token in the subject's bucket after changing
something that a cached decision depends on; a reader remembers the token it saw *before*
reading the database and trusts its cached copy only while the token is unchanged. Reading a
token costs well under a microsecond, so a warm cache answers without touching the database,
yet a change made by any process on this host is seen by the very next read.

Random tokens instead of counters: two writers that race can never leave the old value behind.
Processes on other hosts do not share the file: a multi-host deployment sets
``PIWARDEN_LOCAL_CACHES=false`` (see docs/consent.md).
"""

import mmap
import os
import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

BUCKETS = 1 << 14
CATALOG = BUCKETS  # extra slots after the subject buckets
API_CLIENTS = BUCKETS + 1
EXCEPTIONS = BUCKETS + 2  # §4.4 exceptions recorded for anyone (consent.BasisException)
_SIZE = (BUCKETS + 3) * 8

_map: mmap.mmap | None = None


def _mapping() -> mmap.mmap:
    global _map
    if _map is None:
        path = Path(settings.DATA_DIR) / "freshness.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _SIZE:
                os.ftruncate(fd, _SIZE)
            _map = mmap.mmap(fd, _SIZE)
        finally:
            os.close(fd)
    return _map


def reset() -> None:
    """Forget the mapping, e.g. after a test moved the data folder."""
    global _map
    _map = None


def bucket(subject_id: uuid.UUID) -> int:
    return subject_id.int & (BUCKETS - 1)


def token(slot: int) -> bytes:
    """The slot's current token; the hot path of every cached decision."""
    offset = slot * 8
    return (_map or _mapping())[offset:offset + 8]


def touch(slot: int) -> None:
    offset = slot * 8
    (_map or _mapping())[offset:offset + 8] = secrets.token_bytes(8)


def changed(slot: int) -> None:
    """Mark a change now and again at commit: a reader that refilled its cache from the
    database between the two (still seeing the old rows) is invalidated by the second."""
    touch(slot)
    transaction.on_commit(lambda: touch(slot))


def subject_changed(subject_id) -> None:
    sid = subject_id if isinstance(subject_id, uuid.UUID) else uuid.UUID(str(subject_id))
    changed(bucket(sid))
