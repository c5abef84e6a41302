"""The append itself: move the chain head, insert the record with the link it returns.

Raw SQL, because this runs for every action on PI and the ORM's query building cost more than
the database work. On SQLite, where round trips are free, three statements under the
``BEGIN IMMEDIATE`` write lock. On PostgreSQL one prepared statement per record (``_APPEND``:
the UPDATE of the head row takes the chain lock and returns the link, the INSERT writes the
record), one round trip:

- When the record is the first statement of the caller's transaction, the message also
  carries its ``BEGIN`` (psycopg would send that on its own, one round trip more): an action
  that commits one record costs two round trips, this one and ``COMMIT``, where the driver
  alone needs three for any insert (``BEGIN``, ``INSERT``, ``COMMIT``). The statement is then
  prepared with SQL ``PREPARE`` and run as ``EXECUTE`` with its values written as literals (a
  message of several statements cannot bind parameters). psycopg deallocates every prepared
  statement of a session after some rollbacks; the transaction holds nothing else yet, so
  when the statement is gone the message is rolled back and sent again with its ``PREPARE``.
- Otherwise it is bound on the server through psycopg, which prepares it and keeps track of
  it; several records of one call go in one pipelined trip.
"""

import psycopg
from psycopg import errors, generators, pq
from psycopg.types.json import Jsonb

from piwarden.audit.chain import CONTENT_FIELDS, link_hash
from piwarden.audit.models import AuditEvent

_FIELDS = [AuditEvent._meta.get_field(name) for name in CONTENT_FIELDS]
_COLUMNS = [field.column for field in _FIELDS]
_JSON = frozenset(index for index, field in enumerate(_FIELDS)
                  if field.get_internal_type() == "JSONField")
_OCCURRED, _SUBJECT = CONTENT_FIELDS.index("occurred_at"), CONTENT_FIELDS.index("subject_id")
_DIGEST = len(_COLUMNS) + 1  # parameters: the content fields in CONTENT_FIELDS order, the digest
STATEMENT = "piwarden_audit_append"

# A concurrent writer waits for the head row's lock, then re-reads the row it updates (so it
# always links to the latest record). Column names come from the model, never from input.
_APPEND = f"""
WITH head AS (
    UPDATE audit_chainhead
    SET seq = seq + 1, prev_hash = hash,
        hash = encode(sha256(convert_to(hash || ':' || (seq + 1) || ':' || ${_DIGEST}::text,
                                        'UTF8')), 'hex')
    WHERE id = 1
    RETURNING seq, prev_hash, hash
)
INSERT INTO audit_auditevent ({", ".join(_COLUMNS)}, seq, prev_hash, hash)
SELECT {", ".join(f"${number}" for number in range(1, _DIGEST))}, seq, prev_hash, hash
FROM head
RETURNING id, seq, prev_hash, hash
"""  # noqa: S608
_BOUND = _APPEND.replace(f"${_DIGEST}::text", "%(digest)s::text")
for _number in range(_DIGEST - 1, 0, -1):
    _BOUND = _BOUND.replace(f"${_number}", f"%(p{_number})s")
_SQLITE_INSERT = (
    f"INSERT INTO audit_auditevent ({', '.join(_COLUMNS)}, seq, prev_hash, hash) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))}, %s, %s, %s)"
)
_INVALID_NAME, _DUPLICATE_NAME = b"26000", b"42P05"  # SQLSTATEs of EXECUTE and PREPARE


class MissingHeadError(Exception):
    pass


def append_many(connection, contents: list[list], digests: list[str]) -> list[tuple]:
    """Append records in order, each given as its content fields' database values (in
    ``CONTENT_FIELDS`` order, JSON fields as JSON text) and its content digest; return each
    one's ``(id, seq, prev_hash, hash)``."""
    if connection.vendor == "postgresql":
        return _append_postgres(connection, contents, digests)
    return [_append_sqlite(connection, values, digest)
            for values, digest in zip(contents, digests, strict=True)]


def _append_sqlite(connection, values: list, digest: str) -> tuple:
    values = list(values)
    values[_OCCURRED] = connection.ops.adapt_datetimefield_value(values[_OCCURRED])
    if values[_SUBJECT] is not None:
        values[_SUBJECT] = values[_SUBJECT].hex
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM audit_chainhead WHERE id = 1")
        head = cursor.fetchone()
        if head is None:
            raise MissingHeadError
        seq, prev_hash = head[0] + 1, head[1]
        hash_ = link_hash(prev_hash, seq, digest)
        cursor.execute(_SQLITE_INSERT, [*values, seq, prev_hash, hash_])
        row_id = cursor.lastrowid
        cursor.execute("UPDATE audit_chainhead SET seq = %s, hash = %s, prev_hash = %s "
                       "WHERE id = 1", [seq, hash_, prev_hash])
    return row_id, seq, prev_hash, hash_


def _literal(text: str) -> str:
    """A string literal: safe where ``_direct`` holds (standard-conforming strings: no
    backslash escapes, a quote is doubled); text with a NUL byte is refused, as the driver
    refuses it."""
    if "\x00" in text:
        raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return "'" + text.replace("'", "''") + "'"


def _execute(values: list, digest: str) -> str:
    literals = ["NULL" if value is None else _literal(value if type(value) is str else
                                                      _text(value)) for value in values]
    return f"EXECUTE {STATEMENT}({', '.join(literals)}, {_literal(digest)})"


def _text(value) -> str:
    isoformat = getattr(value, "isoformat", None)  # the timestamp, with its UTC offset
    return isoformat() if isoformat is not None else str(value)


def _direct(raw: psycopg.Connection) -> bool:
    """Whether the record may travel with the transaction's ``BEGIN``: the transaction has not
    started, its ``BEGIN`` is a plain one (no isolation level or access mode to state), no
    pipeline is open, and literals are read as written (UTF-8, standard-conforming strings)."""
    pgconn = raw.pgconn
    return (not raw.autocommit and pgconn.transaction_status == pq.TransactionStatus.IDLE
            and raw.isolation_level is None and raw.read_only is None
            and raw.deferrable is None and pgconn.pipeline_status == pq.PipelineStatus.OFF
            and pgconn.parameter_status(b"standard_conforming_strings") == b"on"
            and raw.info.encoding == "utf-8")


def _append_postgres(connection, contents: list[list], digests: list[str]) -> list[tuple]:
    connection.ensure_connection()
    raw = connection.connection
    with connection.wrap_database_errors:
        if _direct(raw):
            return _begin_and_append(connection, raw, contents, digests)
        return _append_bound(connection, raw, contents, digests)


def _begin_and_append(connection, raw: psycopg.Connection, contents: list[list],
                      digests: list[str]) -> list[tuple]:
    executes = [_execute(values, digest) for values, digest in zip(contents, digests,
                                                                    strict=True)]
    prepared = getattr(connection, "_piwarden_audit_prepared", None) is raw
    for attempt in (1, 2):
        prepare = [] if prepared else [f"PREPARE {STATEMENT} ({_types(connection)}) AS {_APPEND}"]
        results = _send(raw, ["BEGIN", *prepare, *executes])
        if prepare and results[1].status == pq.ExecStatus.COMMAND_OK:
            connection._piwarden_audit_prepared = raw  # it outlives a rollback
        failed = next((r for r in results if r.status == pq.ExecStatus.FATAL_ERROR), None)
        if failed is None:
            connection._piwarden_audit_prepared = raw
            return [_row(result) for result in results
                    if result.status == pq.ExecStatus.TUPLES_OK]
        state = failed.error_field(pq.DiagnosticField.SQLSTATE)
        if attempt == 1 and state in (_INVALID_NAME, _DUPLICATE_NAME):
            _send(raw, ["ROLLBACK"])  # the transaction held only this message
            prepared = state == _DUPLICATE_NAME
            continue
        raise errors.error_from_result(failed, encoding=raw.info.encoding)
    raise AssertionError("unreachable")


def _types(connection) -> str:
    return ", ".join([*(field.db_type(connection) for field in _FIELDS), "text"])


def _send(raw: psycopg.Connection, statements: list[str]) -> list:
    pgconn = raw.pgconn
    with raw.lock:
        pgconn.send_query(";".join(statements).encode())
        return raw.wait(generators.execute(pgconn))


def _row(result) -> tuple:
    if result.ntuples != 1:
        raise MissingHeadError
    value = result.get_value
    return int(value(0, 0)), int(value(0, 1)), value(0, 2).decode(), value(0, 3).decode()


def _cursor(connection, raw: psycopg.Connection) -> psycopg.Cursor:
    """The connection's server-binding cursor, kept for the connection's life: making one per
    append cost about as much as the append's own work on the server."""
    kept = getattr(connection, "_piwarden_audit_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        kept = connection._piwarden_audit_cursor = psycopg.Cursor(raw)
    return kept


def _append_bound(connection, raw: psycopg.Connection, contents: list[list],
                  digests: list[str]) -> list[tuple]:
    params = [{"digest": digest, **{f"p{index + 1}": Jsonb(value, dumps=_as_is)
                                    if index in _JSON else value
                                    for index, value in enumerate(values)}}
              for values, digest in zip(contents, digests, strict=True)]
    cursor = _cursor(connection, raw)
    if len(params) == 1:
        row = cursor.execute(_BOUND, params[0], prepare=True).fetchone()
        if row is None:
            raise MissingHeadError
        return [row]
    cursor.executemany(_BOUND, params, returning=True)
    rows = []
    while True:
        row = cursor.fetchone()
        if row is None:
            raise MissingHeadError
        rows.append(row)
        if not cursor.nextset():
            return rows


def _as_is(text: str) -> str:
    return text  # the JSON fields come as JSON text already
