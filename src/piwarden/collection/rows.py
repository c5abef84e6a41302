"""The events table's rows: their layout, and writing them by the thousand.

A row is a list of database values in ``COLUMNS`` order, built by the ingestion's screening
(``services``). ``Stream`` sends them to the table by COPY while the batch is still being
screened (PostgreSQL); ``insert`` writes them with the duplicate check (the fallback of a
stream, SQLite, and the benchmarks' fill).
"""

import re
from collections.abc import Callable
from datetime import datetime

import psycopg
from django.db import IntegrityError, transaction

from piwarden import bulk
from piwarden.collection.models import Event

COLUMNS = ("source", "event_id", "subject_id", "kind", "activity", "occurred_at",
           "received_at", "ip", "url", "referrer", "download", "duration_ms", "browser", "os",
           "device_type", "language", "network_type", "screen", "latitude", "longitude",
           "accuracy_m")
NULLABLE = frozenset({"duration_ms", "latitude", "longitude", "accuracy_m"})
AT = {name: index for index, name in enumerate(COLUMNS)}
SUBJECT, OCCURRED, RECEIVED = AT["subject_id"], AT["occurred_at"], AT["received_at"]


class Stream:
    """Accepted rows sent to the events table by COPY as they come (PostgreSQL).

    The rows are written as COPY text here, not by the driver: most columns of a kind's rows
    are the same in every row (source, kind, activity, time received, the fields the kind does
    not declare), so each kind's row is formatted once per batch and only the event's own
    values are formatted per row.

    COPY has no conflict clause, so it runs under a savepoint: when a row turns out to be one
    this source sent before (a retried batch, or its original racing it), the database refuses
    the COPY, the savepoint is rolled back and the whole batch goes through ``insert``, whose
    ``ON CONFLICT`` tells the duplicates apart. While a COPY is open the connection can run
    nothing else: a query made meanwhile (a consent decision that is not cached) first ends
    the COPY (``before_query``, a Django execute wrapper), and the next row starts another.
    """

    SAVEPOINT = "pw_event_stream"
    CHUNK = 100  # rows per write (about 30 kB)

    def __init__(self, connection, now: datetime, source: str):
        self.connection, self.now, self.source = connection, now, source
        self.rows: list[list] = []
        self.lines: list[str] = []
        self.formats: dict[str, tuple[list[str], list[tuple[int, Callable]]]] = {}
        self.cursor: psycopg.Cursor | None = None
        self.copy = self.copying = None
        self.refused = False  # a duplicate: the rows go through insert() instead

    def add(self, row: list, kind) -> None:
        """Send one accepted row; ``kind`` is its event kind (``services._Kind``: its name,
        its row template and the positions its fields write)."""
        self.rows.append(row)
        if self.refused:
            return
        layout = self.formats.get(kind.kind) or self._layout(kind)
        parts = layout[0].copy()
        for index, text in layout[1]:
            value = row[index]
            parts[index] = "\\N" if value is None else text(value)
        self.lines.append("\t".join(parts))
        if len(self.lines) >= self.CHUNK:
            self._write()

    def before_query(self, execute, sql, params, many, context):
        self._end()
        return execute(sql, params, many, context)

    def finish(self) -> set[int]:
        """End the COPY; return the positions of the rows that were duplicates."""
        self._end()
        if self.cursor is not None:
            self.cursor.close()
        if self.refused:
            return insert(self.rows, self.now)
        return set()

    def _layout(self, kind) -> tuple[list[str], list[tuple[int, Callable]]]:
        """A kind's row as COPY text: the values all its rows share, already formatted, and
        for each of the others its position and how to format it."""
        template = kind.template(self.source, self.now)
        own = {1, SUBJECT, OCCURRED}
        for at, _ in kind.rules.values():
            if isinstance(at, slice):
                own.update(range(at.start, at.stop))
            elif at is not None:
                own.add(at)
        parts = ["" if index in own else "\\N" if value is None
                 else _COPY_TEXT[COLUMNS[index]](value) for index, value in enumerate(template)]
        layout = parts, [(index, _COPY_TEXT[COLUMNS[index]]) for index in sorted(own)]
        self.formats[kind.kind] = layout
        return layout

    def _write(self) -> None:
        if self.copy is None:
            self._start()
        text, self.lines = "\n".join(self.lines) + "\n", []
        # A refusal by the server surfaces when the COPY ends (libpq leaves the answer unread
        # while copying), so a row that is a duplicate never fails a write here.
        with self.connection.wrap_database_errors:
            self.copy.write(text)

    def _start(self) -> None:
        with self.connection.wrap_database_errors:
            if self.cursor is None:
                self.cursor = psycopg.Cursor(self.connection.connection)
                self.cursor.execute(f"SAVEPOINT {self.SAVEPOINT}")
            quote = self.connection.ops.quote_name
            self.copying = self.cursor.copy(
                f"COPY {quote(Event._meta.db_table)} "
                f"({', '.join(quote(name) for name in COLUMNS)}) FROM STDIN")
            self.copy = self.copying.__enter__()

    def _end(self) -> None:
        if self.lines and not self.refused:
            self._write()
        if self.copy is None:
            return
        copying, self.copy, self.copying = self.copying, None, None
        try:
            with self.connection.wrap_database_errors:
                copying.__exit__(None, None, None)
        except IntegrityError:
            self._refused()

    def _refused(self) -> None:
        with self.connection.wrap_database_errors:
            self.cursor.execute(f"ROLLBACK TO SAVEPOINT {self.SAVEPOINT}")
        self.refused = True
        self.lines = []


_COPY_SPECIAL = re.compile(r"[\\\t\n\r\x00]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_str(value: str) -> str:
    """A text value as COPY's text format writes it."""
    if _COPY_SPECIAL.search(value) is None:
        return value
    if "\x00" in value:
        raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return value.translate(_COPY_ESCAPES)


def _copy_datetime(value: datetime) -> str:
    return value.isoformat()


# Each column's COPY text. The subject is a UUID's canonical text. (The event id is escaped
# like any text: its pattern lets a final newline through.)
_COPY_TEXT: dict[str, Callable] = {
    **dict.fromkeys(COLUMNS, _copy_str),
    "subject_id": str, "occurred_at": _copy_datetime,
    "received_at": _copy_datetime, "duration_ms": str, "accuracy_m": str,
    "latitude": repr, "longitude": repr,
}


_STAGING = "pw_event_staging_n"


def insert(rows: list[list], now: datetime) -> set[int]:
    """Insert the events (rows in ``COLUMNS`` order; ``received_at`` is set to ``now``) that
    this source has not sent before for that person; return the positions of those that were
    duplicates.

    ``INSERT … ON CONFLICT DO NOTHING``: the conflict clause is the duplicate check (a retry
    racing its original in another process included). Raw SQL, because bulk_create spent most
    of a batch compiling per-value SQL."""
    if not rows:
        return set()
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in COLUMNS)
    conflict = f"({quote('subject_id')}, {quote('source')}, {quote('event_id')})"
    table = quote(Event._meta.db_table)
    if connection.vendor == "postgresql":
        # COPY into a session-local staging table (psycopg formats COPY rows in C; binding
        # 21 arrays of 1,000 values cost more than the database's work), then one statement
        # moves the rows on with the duplicate check and answers with the positions of the
        # rows it did not insert: usually none, so nothing comes back to parse.
        staging = quote(_STAGING)
        moved = ", ".join(f"m.{quote(name)}" for name in COLUMNS)
        raw = connection.connection
        with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
            if getattr(connection, "_piwarden_event_staging", None) is not raw:
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} "  # noqa: S608
                               f"ON COMMIT DELETE ROWS AS SELECT 0 AS n, {columns} "
                               f"FROM {table} WITH NO DATA")
                # Kept for the session once committed (a rollback takes the table with it).
                transaction.on_commit(lambda: setattr(connection, "_piwarden_event_staging",
                                                      raw))
            with cursor.copy(f"COPY {staging} (n, {columns}) FROM STDIN") as copy:
                write = copy.write_row
                for number, row in enumerate(rows):
                    row[RECEIVED] = now
                    write((number, *row))
            cursor.execute(
                f"WITH m AS (DELETE FROM {staging} RETURNING *), "  # noqa: S608
                f"stored AS (INSERT INTO {table} ({columns}) SELECT {moved} FROM m "
                f"ON CONFLICT {conflict} DO NOTHING "
                f"RETURNING {quote('subject_id')}, {quote('event_id')}) "
                f"SELECT m.n FROM m LEFT JOIN stored s ON s.{quote('subject_id')} = "
                f"m.{quote('subject_id')} AND s.{quote('event_id')} = m.{quote('event_id')} "
                f"WHERE s.{quote('event_id')} IS NULL")
            return {number for (number,) in cursor.fetchall()}
    # SQLite: one statement per row (no round trips to save), on the driver's own cursor.
    ops = connection.ops
    received = ops.adapt_datetimefield_value(now)
    placeholders = ", ".join(["?"] * len(COLUMNS))
    sql = (f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
           f"ON CONFLICT {conflict} DO NOTHING")
    duplicates = set()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            for number, row in enumerate(rows):
                row[RECEIVED] = received
                row[OCCURRED] = ops.adapt_datetimefield_value(row[OCCURRED])
                if row[SUBJECT] is not None:
                    row[SUBJECT] = bulk.as_uuid(row[SUBJECT]).hex
                cursor.execute(sql, row)
                if cursor.rowcount == 0:
                    duplicates.add(number)
        finally:
            cursor.close()
    return duplicates
