"""The write of one consent choice: its event and the person's state.

A single choice is the ledger's hot path (a site forwards each choice as it is made), so it is
written without reading anything first. One statement checks the person, finds the notice by
its hash, inserts the event and reads the choice it replaces; on PostgreSQL the same statement
also upserts the state (locking its row first), so that a choice costs two statements in all
with its audit record (``audit.store``), on SQLite three. Raw SQL, as in ``audit.store``: the
ORM's query building cost more than the database's work. On PostgreSQL the statement is
prepared once per connection and sent on Django's connection (so in the caller's
transaction) in one message with the transaction's ``BEGIN`` (``_run``): each round trip
measured about a sixth of a write's CPU in the web process.

The caller holds the transaction and turns the outcomes into the ledger's answers
(``services._write``): an unknown person, a person whose data is no longer processed (only
a withdrawal is taken then), or a notice text not stored yet (stored here, then the write is
tried once more). Nothing is written when the person is refused.

Under concurrent writes of the same person, purpose and scope, PostgreSQL's row lock makes the
second writer wait and read the first one's choice as the one it replaces; two *first* choices
written at the same instant both read "none" (the second then updates the first's state).
SQLite runs writers one at a time (``BEGIN IMMEDIATE``).
"""

from dataclasses import dataclass

import psycopg
from django.db import models
from django.utils import timezone
from psycopg import errors, generators, pq

from piwarden.consent.models import ConsentEvent, ConsentState, Notice
from piwarden.subjects.models import Subject, SubjectStatus


class UnknownSubject(Exception):
    """No person has this id: nothing was written."""


class InactiveSubject(Exception):
    """The person's data is no longer processed and the choice is not a withdrawal: nothing
    was written."""


@dataclass(frozen=True, slots=True)
class Written:
    previous: str | None  # the choice the state held before, None for the first one
    kind: str  # the person's kind and status, as the write found them
    status: str


_EVENT_FIELDS = [field for field in ConsentEvent._meta.concrete_fields if not field.primary_key]
_VALUE_FIELDS = [field for field in _EVENT_FIELDS if field.name not in ("subject", "notice")]
_VALUE_NAMES = [field.attname for field in _VALUE_FIELDS]
_FILE_INDEXES = [index for index, field in enumerate(_VALUE_FIELDS)
                 if isinstance(field, models.FileField)]
_OCCURRED_AT = _VALUE_NAMES.index("occurred_at")
_ACTIVE = SubjectStatus.ACTIVE.value
_EVENTS, _STATES = ConsentEvent._meta.db_table, ConsentState._meta.db_table
_SUBJECTS, _NOTICES = Subject._meta.db_table, Notice._meta.db_table
_KEY = "subject_id = %s AND purpose = %s AND scope = %s AND recipient = %s"
_STATE_COLUMNS = ("subject_id, purpose, scope, recipient, choice, policy_version, changed_at, "
                  "event_id")
_STATE_UPDATE = ("ON CONFLICT (subject_id, purpose, scope, recipient) DO UPDATE SET "
                 "choice = EXCLUDED.choice, policy_version = EXCLUDED.policy_version, "
                 "changed_at = EXCLUDED.changed_at, event_id = EXCLUDED.event_id")
# PostgreSQL types the values are cast to: an INSERT … SELECT does not take them from the
# target columns. Strings go as text, which the column's own type then checks (its length).
_CASTS = {"BooleanField": "boolean", "DateTimeField": "timestamptz", "UUIDField": "uuid",
          "BigAutoField": "bigint", "CharField": "text", "TextField": "text",
          "FileField": "text"}


def _cast(field: models.Field) -> str:
    return _CASTS[(field.target_field if field.is_relation else field).get_internal_type()]


def _selected(placeholder) -> str:
    return ", ".join({"subject": "s.id", "notice": "n.id"}.get(field.name) or placeholder(field)
                     for field in _EVENT_FIELDS)


# The parameters' types, in order: the subject id, the notice's hash, the state's key (subject
# id, purpose, scope, recipient), the event's values (_VALUE_FIELDS order), whether any status
# is accepted.
_TYPES = ["uuid", "text", "uuid", "text", "text", "text", *map(_cast, _VALUE_FIELDS), "boolean"]


def _postgres_write(parameter) -> str:
    """The statement, its parameters written by ``parameter(number, type)``. Names come from
    the models, never from input; every value is a parameter. ``old`` reads (and locks) the
    state row before ``st`` upserts it: ``st`` reads from ``old``, so the executor evaluates
    it first, and it sees the rows as they were before this statement."""
    numbers = iter(range(1, len(_TYPES) + 1))

    def next_parameter(field=None) -> str:
        number = next(numbers)
        return parameter(number, _TYPES[number - 1])

    subject, notice = next_parameter(), next_parameter()
    key = " AND ".join(f"{column} = {next_parameter()}"
                       for column in ("subject_id", "purpose", "scope", "recipient"))
    selected = _selected(next_parameter)
    return f"""
WITH s AS (
    SELECT id, kind, status FROM {_SUBJECTS} WHERE id = {subject}
), n AS (
    SELECT id FROM {_NOTICES} WHERE sha256 = {notice}
), old AS (
    SELECT choice FROM {_STATES} WHERE {key} FOR UPDATE
), e AS (
    INSERT INTO {_EVENTS} ({", ".join(field.column for field in _EVENT_FIELDS)})
    SELECT {selected}
    FROM s, n WHERE s.status = '{_ACTIVE}' OR {next_parameter()}
    RETURNING id, subject_id, purpose, scope, recipient, choice, policy_version, occurred_at
), st AS (
    INSERT INTO {_STATES} ({_STATE_COLUMNS})
    SELECT e.subject_id, e.purpose, e.scope, e.recipient, e.choice, e.policy_version,
           e.occurred_at, e.id
    FROM e LEFT JOIN old ON TRUE
    {_STATE_UPDATE}
    RETURNING 1
)
SELECT s.kind, s.status, (SELECT id FROM n), (SELECT id FROM e), (SELECT choice FROM old),
       (SELECT count(*) FROM st)
FROM s
"""  # noqa: S608


# Bound by a server-binding cursor (psycopg sends BEGIN first, on its own), or prepared once
# per connection and sent with BEGIN in one message (see _send).
_POSTGRES_WRITE = _postgres_write(lambda number, type_: f"%s::{type_}")
_STATEMENT = "piwarden_consent_write"
_PREPARE = (f"PREPARE {_STATEMENT} ({', '.join(_TYPES)}) AS "
            f"{_postgres_write(lambda number, type_: f'${number}')}")
# SQLite: the event, with the person and the replaced choice read by the same statement.
# Parameters: the event's values, the subject id, the notice's hash, whether any status is
# accepted, the subject id twice, the state's key.
_SQLITE_EVENT = f"""
INSERT INTO {_EVENTS} ({", ".join(field.column for field in _EVENT_FIELDS)})
SELECT {_selected(lambda field: "%s")}
FROM {_SUBJECTS} s, {_NOTICES} n
WHERE s.id = %s AND n.sha256 = %s AND (s.status = '{_ACTIVE}' OR %s)
RETURNING id, notice_id, (SELECT kind FROM {_SUBJECTS} WHERE id = %s),
    (SELECT status FROM {_SUBJECTS} WHERE id = %s), (SELECT choice FROM {_STATES} WHERE {_KEY})
"""  # noqa: S608
_SQLITE_STATE = (f"INSERT INTO {_STATES} ({_STATE_COLUMNS}) "  # noqa: S608
                 f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s) {_STATE_UPDATE}")
_NOTICE = (f"INSERT INTO {_NOTICES} (sha256, text, created_at) VALUES (%s, %s, %s) "  # noqa: S608
           "ON CONFLICT (sha256) DO NOTHING")


def write(connection, event: ConsentEvent, notice_text: str, notice_sha256: str,
          any_status: bool) -> Written:
    """Insert ``event`` (its person named by ``event.subject_id``, its notice by the text's
    hash) and make it the state's latest choice, inside the caller's transaction; fills the
    event's id and notice. ``any_status``: take it whatever the person's status (a
    withdrawal). Raises UnknownSubject or InactiveSubject, having written nothing."""
    if connection.vendor == "postgresql":
        return _write_postgres(connection, event, notice_text, notice_sha256, any_status)
    return _write_sqlite(connection, event, notice_text, notice_sha256, any_status)


def _write_postgres(connection, event, notice_text, notice_sha256, any_status) -> Written:
    connection.ensure_connection()
    params = [event.subject_id, notice_sha256, event.subject_id, event.purpose, event.scope,
              event.recipient, *_values(event), any_status]
    with connection.wrap_database_errors:
        for attempt in range(2):
            row = _run(connection, params)
            if row is None:
                raise UnknownSubject
            kind, status, notice_id, event_id, previous = row
            if notice_id is not None or attempt:
                break
            _insert_notice(connection, _cursor(connection), notice_sha256, notice_text)
    if event_id is None:
        raise InactiveSubject
    _saved(connection, event, event_id, notice_id, notice_sha256, notice_text)
    return Written(previous, kind, status)


def _write_sqlite(connection, event, notice_text, notice_sha256, any_status) -> Written:
    subject_id = Subject._meta.pk.get_db_prep_value(event.subject_id, connection)
    key = [subject_id, event.purpose, event.scope, event.recipient]
    values = [field.get_db_prep_save(value, connection)
              for field, value in zip(_VALUE_FIELDS, _values(event), strict=True)]
    with connection.cursor() as cursor:
        for attempt in range(2):
            cursor.execute(_SQLITE_EVENT, [*values, subject_id, notice_sha256, any_status,
                                           subject_id, subject_id, *key])
            row = cursor.fetchone()
            if row is not None or attempt:
                break
            cursor.execute(f"SELECT status FROM {_SUBJECTS} WHERE id = %s",  # noqa: S608
                           [subject_id])
            found = cursor.fetchone()
            if found is None:
                raise UnknownSubject
            if found[0] != _ACTIVE and not any_status:
                raise InactiveSubject
            _insert_notice(connection, cursor, notice_sha256, notice_text)
        event_id, notice_id, kind, status, previous = row
        cursor.execute(_SQLITE_STATE, [*key, event.choice, event.policy_version,
                                       values[_OCCURRED_AT], event_id])
    _saved(connection, event, event_id, notice_id, notice_sha256, notice_text)
    return Written(previous, kind, status)


def _run(connection, params: list) -> tuple | None:
    """The statement's row (kind, status, notice id, event id, previous choice), or None."""
    raw = connection.connection
    pgconn = raw.pgconn
    if (raw.autocommit or pgconn.transaction_status != pq.TransactionStatus.IDLE
            or pgconn.pipeline_status != pq.PipelineStatus.OFF or raw.info.encoding != "utf-8"
            or pgconn.parameter_status(b"standard_conforming_strings") != b"on"):
        # Inside a transaction begun already (a batch, a page's several writes), or a
        # connection _send does not fit: bound by a server-binding cursor.
        row = _cursor(connection).execute(_POSTGRES_WRITE, params, prepare=True).fetchone()
        return row and row[:5]
    return _send(connection, raw, params)


def _send(connection, raw: psycopg.Connection, params: list) -> tuple | None:
    """The write as the first statement of the caller's transaction, in one message with its
    ``BEGIN`` (psycopg sends ``BEGIN`` in a round trip of its own before a statement it binds):
    the statement prepared with SQL ``PREPARE`` once per connection and run by ``EXECUTE`` with
    its values written as literals. Literals are safe here because the server reads strings
    with standard_conforming_strings on (checked: no backslash escapes) and a quote is
    doubled; text with a NUL byte is refused, as the driver refuses it.

    psycopg deallocates every prepared statement of a connection after it sees a rollback
    (``DEALLOCATE ALL``): an ``EXECUTE`` that finds ours gone has failed the transaction's
    first statement, so the transaction is rolled back and begun again, with the ``PREPARE``.
    """
    begin = _begin(raw)
    execute = f"EXECUTE {_STATEMENT}({', '.join(map(_literal, params))})"
    if getattr(connection, "_piwarden_consent_prepared", None) is raw:
        results = _exchange(raw, [begin, execute])
        if results[-1].status != pq.ExecStatus.FATAL_ERROR or \
                results[-1].error_field(pq.DiagnosticField.SQLSTATE) != b"26000":
            return _row(raw, results)
        statements = ["ROLLBACK", begin, _PREPARE, execute]
    else:
        statements = [begin, _PREPARE, execute]
    results = _exchange(raw, statements)
    prepared = len(statements) - 2
    if len(results) > prepared and results[prepared].status == pq.ExecStatus.COMMAND_OK:
        connection._piwarden_consent_prepared = raw
    return _row(raw, results)


def _exchange(raw: psycopg.Connection, statements: list[str]) -> list:
    """Send the statements as one message; their results (the rest skipped after an error)."""
    pgconn = raw.pgconn
    with raw.lock:
        pgconn.send_query(";".join(statements).encode())
        return raw.wait(generators.execute(pgconn))


def _row(raw: psycopg.Connection, results: list) -> tuple | None:
    for result in results:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding=raw.info.encoding)
    result = results[-1]
    if result.ntuples == 0:
        return None
    kind, status, notice_id, event_id, previous = (result.get_value(0, column)
                                                   for column in range(5))
    return (kind.decode(), status.decode(), notice_id and int(notice_id),
            event_id and int(event_id), previous and previous.decode())


def _begin(raw: psycopg.Connection) -> str:
    """The BEGIN psycopg would send on this connection."""
    parts = ["BEGIN"]
    if raw.isolation_level is not None:
        parts.append(f"ISOLATION LEVEL {raw.isolation_level.name.replace('_', ' ')}")
    if raw.read_only is not None:
        parts.append("READ ONLY" if raw.read_only else "READ WRITE")
    if raw.deferrable is not None:
        parts.append("DEFERRABLE" if raw.deferrable else "NOT DEFERRABLE")
    return " ".join(parts)


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    isoformat = getattr(value, "isoformat", None)  # a timestamp, with its UTC offset
    text = isoformat() if isoformat is not None else str(value)
    if "\x00" in text:
        raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return "'" + text.replace("'", "''") + "'"


def _values(event: ConsentEvent) -> list:
    """The event's values in _VALUE_FIELDS order: its attributes, but a file's name."""
    values = [getattr(event, name) for name in _VALUE_NAMES]
    for index in _FILE_INDEXES:
        values[index] = values[index].name or ""
    return values


def _insert_notice(connection, cursor, notice_sha256: str, notice_text: str) -> None:
    """Store a notice text not seen before (another writer may store it at the same time)."""
    created = Notice._meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    cursor.execute(_NOTICE, [notice_sha256, notice_text, created])


def _cursor(connection) -> psycopg.Cursor:
    """This connection's server-binding cursor, kept for the connection's life."""
    raw = connection.connection
    kept = getattr(connection, "_piwarden_consent_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        kept = connection._piwarden_consent_cursor = psycopg.Cursor(raw)
    return kept


def _saved(connection, event, event_id, notice_id, notice_sha256, notice_text) -> None:
    event.pk = event_id
    event._state.adding, event._state.db = False, connection.alias
    # The notice as stored (its creation time is left to load if anyone asks).
    event.notice = Notice.from_db(connection.alias, ["id", "sha256", "text"],
                                  [notice_id, notice_sha256, notice_text])
