"""The append itself: lock the chain head, insert the record, move the head.

Raw SQL, because this runs for every action on PI and the ORM's query building cost more than
the database work. On PostgreSQL it is one statement (one round trip, head lock held for the
shortest time), prepared once per connection so the server does not re-plan it; on SQLite,
where round trips are free, three statements under the ``BEGIN IMMEDIATE`` write lock.
"""

import psycopg

from piwarden.audit.chain import CONTENT_FIELDS, link_hash
from piwarden.audit.models import AuditEvent

_FIELDS = [AuditEvent._meta.get_field(name) for name in CONTENT_FIELDS]
_COLUMNS = [field.column for field in _FIELDS]
_PLACEHOLDERS = ", ".join(["%s"] * len(_COLUMNS))

# Column names come from the model, never from input; every value is a bound parameter.
_POSTGRES_APPEND = f"""
WITH head AS (
    SELECT seq + 1 AS seq, hash AS prev_hash FROM audit_chainhead WHERE id = 1 FOR UPDATE
), new AS (
    INSERT INTO audit_auditevent ({", ".join(_COLUMNS)}, seq, prev_hash, hash)
    SELECT {_PLACEHOLDERS}, head.seq, head.prev_hash,
           encode(sha256(convert_to(head.prev_hash || ':' || head.seq || ':' || %s::text,
                                    'UTF8')), 'hex')
    FROM head
    RETURNING id, seq, prev_hash, hash
)
UPDATE audit_chainhead SET seq = new.seq, hash = new.hash FROM new
WHERE audit_chainhead.id = 1
RETURNING new.id, new.seq, new.prev_hash, new.hash
"""  # noqa: S608
_SQLITE_INSERT = (
    f"INSERT INTO audit_auditevent ({', '.join(_COLUMNS)}, seq, prev_hash, hash) "  # noqa: S608
    f"VALUES ({_PLACEHOLDERS}, %s, %s, %s)"
)


class MissingHeadError(Exception):
    pass


def _cursor(connection) -> psycopg.Cursor:
    """The connection's server-binding cursor, kept for the connection's life: making one per
    append cost about as much as the append's own work on the server."""
    raw = connection.connection
    kept = getattr(connection, "_piwarden_audit_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        kept = connection._piwarden_audit_cursor = psycopg.Cursor(raw)
    return kept


def append_many(connection, events: list[AuditEvent], digests: list[str]) -> None:
    """``append`` for several events in order; on PostgreSQL in one round trip (pipeline)."""
    if connection.vendor != "postgresql" or len(events) == 1:
        for event, digest in zip(events, digests, strict=True):
            append(connection, event, digest)
        return
    batch = [[*_params(connection, event), digest] for event, digest in zip(events, digests,
                                                                            strict=True)]
    cursor = _cursor(connection)
    with connection.wrap_database_errors:
        cursor.executemany(_POSTGRES_APPEND, batch, returning=True)
        for event in events:
            row = cursor.fetchone()
            if row is None:
                raise MissingHeadError
            event.id, event.seq, event.prev_hash, event.hash = row
            _saved(connection, event)
            cursor.nextset()


def _params(connection, event: AuditEvent) -> list:
    return [field.get_db_prep_save(getattr(event, field.attname), connection) for field in _FIELDS]


def _saved(connection, event: AuditEvent) -> None:
    event._state.adding = False
    event._state.db = connection.alias


def append(connection, event: AuditEvent, digest: str) -> None:
    """Write ``event`` (content fields set) as the next link; fills id, seq and the hashes."""
    params = _params(connection, event)
    if connection.vendor == "postgresql":
        # Django's cursors bind on the client, which rules out preparing: use a server-binding
        # psycopg cursor on the same connection, and so in the caller's transaction.
        with connection.wrap_database_errors:
            row = _cursor(connection).execute(_POSTGRES_APPEND, [*params, digest],
                                              prepare=True).fetchone()
        if row is None:
            raise MissingHeadError
        event.id, event.seq, event.prev_hash, event.hash = row
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq, hash FROM audit_chainhead WHERE id = 1")
            head = cursor.fetchone()
            if head is None:
                raise MissingHeadError
            event.seq, event.prev_hash = head[0] + 1, head[1]
            event.hash = link_hash(event.prev_hash, event.seq, digest)
            cursor.execute(_SQLITE_INSERT, [*params, event.seq, event.prev_hash, event.hash])
            event.id = cursor.lastrowid
            cursor.execute("UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1",
                           [event.seq, event.hash])
    _saved(connection, event)
