"""Freshness tokens for per-process caches, kept right across processes and hosts by the database.

A reader takes a slot's token *before* reading the database and trusts its cached copy only
while the token is unchanged; reading a token is a list lookup. Slots: one per bucket of
subjects, plus the catalog, the API clients and the §4.4 exceptions on record.

Who changes a token:
- the writing process itself, at once and again at commit (``changed``), so its next read is
  fresh even before the database tells anyone;
- every other process, through the database: triggers on the tables that cached answers depend
  on (``triggers.py``) send ``NOTIFY piwarden_changes`` on PostgreSQL (delivered at commit) or
  append to ``caches_change`` on SQLite; a watcher thread (``start_watcher``) listens or polls
  and bumps the slots. No setting: several hosts on one PostgreSQL stay right by construction.

While a started watcher has lost its database connection, every token read is new: nothing
cached is trusted until it is back. A process that never starts a watcher (tests, short
management commands) sees its own changes only; ``piwarden serve``'s web and task processes
start one.
"""

import itertools
import logging
import os
import threading
import time
import uuid

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

BUCKETS = 1 << 14
CATALOG = BUCKETS  # extra slots after the subject buckets
API_CLIENTS = BUCKETS + 1
EXCEPTIONS = BUCKETS + 2  # §4.4 exceptions recorded for anyone (consent.BasisException)
SLOTS = BUCKETS + 3
CHANNEL = "piwarden_changes"
SQLITE_POLL_SECONDS = 0.05
PRUNE_AFTER_SECONDS = 300

_counter = itertools.count(1)  # next() is atomic: two bumps never hand out the same token
_tokens = [0] * SLOTS
_blind = False  # a started watcher is not connected: trust no cached answer
_watcher: threading.Thread | None = None
_watcher_pid = 0
_stop = threading.Event()


def token(slot: int) -> int:
    """The slot's current token; the hot path of every cached answer."""
    if _blind:
        return next(_counter)
    return _tokens[slot]


def touch(slot: int) -> None:
    _tokens[slot] = next(_counter)


def reset() -> None:
    """Invalidate every slot (after a reconnection, or between tests)."""
    global _tokens
    _tokens = [next(_counter)] * SLOTS


def bucket(subject_id: uuid.UUID) -> int:
    return subject_id.int & (BUCKETS - 1)


def changed(slot: int) -> None:
    """Mark a change now and again at commit: a reader that refilled its cache from the
    database between the two (still seeing the old rows) is invalidated by the second."""
    touch(slot)
    transaction.on_commit(lambda: touch(slot))


def subject_changed(subject_id) -> None:
    sid = subject_id if isinstance(subject_id, uuid.UUID) else uuid.UUID(str(subject_id))
    changed(bucket(sid))


def apply(subject_id: str | None, slot: int | None) -> None:
    """One change reported by the database."""
    if subject_id:
        touch(bucket(uuid.UUID(subject_id)))
    elif slot is not None and 0 <= slot < SLOTS:
        touch(slot)


def watching() -> bool:
    return _watcher is not None and _watcher.is_alive() and _watcher_pid == os.getpid()


def start_watcher() -> None:
    """Start this process's watcher thread (again after a fork); caches are blind until it has
    connected."""
    global _watcher, _watcher_pid, _blind
    if watching():
        return
    database = settings.DATABASES["default"]
    target = _watch_postgres if database["ENGINE"].endswith("postgresql") else _watch_sqlite
    _blind = True
    _watcher_pid = os.getpid()
    _watcher = threading.Thread(target=_forever, args=(target, database),
                                name="piwarden-freshness", daemon=True)
    _watcher.start()


def stop_watcher() -> None:
    """Stop the watcher and close its connection (tests; a process about to exit)."""
    global _watcher, _blind
    if _watcher is not None:
        _stop.set()
        _watcher.join(timeout=10)
        _stop.clear()
    _watcher, _blind = None, False


def _forever(watch, database) -> None:
    global _blind
    delay = 0.1
    while not _stop.is_set():
        try:
            watch(database)
        except Exception as error:  # any failure: blind, then reconnect
            log.warning("cache freshness watcher lost the database (%s); retrying",
                        type(error).__name__)
        _blind = True
        if _stop.wait(delay):
            return
        delay = min(delay * 2, 5.0)


def _connected() -> None:
    """Listening (or polling) from now on: anything before may have been missed."""
    global _blind
    reset()
    _blind = False


def _watch_postgres(database) -> None:
    import psycopg

    params = {"dbname": database["NAME"], "user": database.get("USER") or None,
              "password": database.get("PASSWORD") or None,
              "host": database.get("HOST") or None, "port": database.get("PORT") or None}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True,
                         application_name="piwarden-freshness") as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        _connected()
        while not _stop.is_set():
            for note in conn.notifies(timeout=1.0):
                payload = note.payload
                if payload.startswith("s"):
                    apply(payload[1:], None)
                elif payload.startswith("k"):
                    apply(None, int(payload[1:]))
            conn.execute("SELECT 1")  # a dead connection raises here, not silently


def _watch_sqlite(database) -> None:
    import sqlite3

    conn = sqlite3.connect(database["NAME"], timeout=30, isolation_level=None)
    try:
        last = conn.execute("SELECT coalesce(max(id), 0) FROM caches_change").fetchone()[0]
        _connected()
        pruned = time.monotonic()
        while not _stop.wait(SQLITE_POLL_SECONDS):
            rows = conn.execute("SELECT id, subject_id, slot FROM caches_change WHERE id > ? "
                                "ORDER BY id", (last,)).fetchall()
            if rows and rows[0][0] != last + 1:
                reset()  # rows we never saw were pruned: assume everything changed
            for last, subject_id, slot in rows:  # noqa: B007 - last is kept on purpose
                apply(subject_id, slot)
            if time.monotonic() - pruned > 60:
                pruned = time.monotonic()
                conn.execute("DELETE FROM caches_change WHERE at < strftime('%Y-%m-%d %H:%M:%f', "
                             "'now', ?)", (f"-{PRUNE_AFTER_SECONDS} seconds",))
    finally:
        conn.close()
