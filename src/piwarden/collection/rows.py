"""The events table's rows: their layout, and writing them by the thousand.

A row is a list of database values in ``COLUMNS`` order, built by the ingestion's screening
(``services``). ``Stream`` sends them to the table by COPY while the batch is still being
screened (PostgreSQL); ``insert`` writes them with the duplicate check (the fallback of a
stream, SQLite, and the benchmarks' fill).
"""

import functools
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

    Binary COPY, with the columns' types given: psycopg then writes each row in C (a
    ``datetime`` as a number, a UUID as its 16 bytes), and the server reads the values without
    parsing text. Formatting COPY text in Python (even with the values a kind's rows share
    formatted once per batch) cost about 2.5 times as much per row, and parsing it more on the
    server.

    COPY has no conflict clause, so it runs under a savepoint: when a row turns out to be one
    this source sent before (a retried batch, or its original racing it), the database refuses
    the COPY, the savepoint is rolled back and the whole batch goes through ``insert``, whose
    ``ON CONFLICT`` tells the duplicates apart. While a COPY is open the connection can run
    nothing else: a query made meanwhile (a consent decision that is not cached) first ends
    the COPY (``before_query``, a Django execute wrapper), and the next row starts another.
    """

    SAVEPOINT = "pw_event_stream"
    CHUNK = 100  # rows handed to the COPY at a time

    def __init__(self, connection, now: datetime):
        self.connection, self.now = connection, now
        self.rows: list[list] = []
        self.sent = 0  # how many of them went to the COPY
        self.cursor: psycopg.Cursor | None = None
        self.copy = self.copying = None
        self.refused = False  # a duplicate: the rows go through insert() instead

    def add(self, row: list) -> None:
        """Take one accepted row; every ``CHUNK`` rows go to the COPY (psycopg sends them on
        in blocks of 32 kB)."""
        self.rows.append(row)
        if len(self.rows) - self.sent >= self.CHUNK and not self.refused:
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

    def _write(self) -> None:
        if self.copy is None:
            self._start()
        rows, self.sent = self.rows[self.sent:], len(self.rows)
        # A refusal by the server surfaces when the COPY ends (libpq leaves the answer unread
        # while copying), so a row that is a duplicate never fails a write here.
        with self.connection.wrap_database_errors:
            write = self.copy.write_row
            for row in rows:
                write(row)

    def _start(self) -> None:
        with self.connection.wrap_database_errors:
            if self.cursor is None:
                self.cursor = psycopg.Cursor(self.connection.connection)
                self.cursor.execute(f"SAVEPOINT {self.SAVEPOINT}")
            quote = self.connection.ops.quote_name
            # The condition is always true (random() is in [0, 1)); being volatile, it makes
            # the server insert each row as it arrives. Without it a binary COPY buffers up
            # to 1,000 rows (its 64 kB limit counts text lines only) and inserts them all
            # when the COPY ends, after the screening rather than beside it (measured: the
            # wait at the end of a batch three times as long).
            self.copying = self.cursor.copy(
                f"COPY {quote(Event._meta.db_table)} "
                f"({', '.join(quote(name) for name in COLUMNS)}) FROM STDIN (FORMAT BINARY) "
                f"WHERE random() >= 0")
            self.copy = self.copying.__enter__()
            self.copy.set_types(copy_types())

    def _end(self) -> None:
        if self.sent < len(self.rows) and not self.refused:
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


# The PostgreSQL type of each kind of model field in ``COLUMNS`` (binary COPY needs them; a
# field of another kind fails loudly here rather than being sent in the wrong format).
_COPY_TYPES = {"CharField": "varchar", "UUIDField": "uuid", "DateTimeField": "timestamptz",
               "PositiveIntegerField": "int4", "FloatField": "float8"}


@functools.cache
def copy_types() -> tuple[str, ...]:
    """The types of ``COLUMNS`` for a binary COPY (a foreign key has its target's type)."""
    fields = [Event._meta.get_field(name) for name in COLUMNS]
    return tuple(_COPY_TYPES[(field.target_field if field.is_relation else field)
                             .get_internal_type()] for field in fields)


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
        # Binary COPY into a session-local staging table (psycopg writes the rows in C; binding
        # 21 arrays of 1,000 values cost more than the database's work), then one statement
        # moves the rows on with the duplicate check and answers with the positions of the
        # rows it did not insert: usually none, so nothing comes back to parse.
        staging = quote(_STAGING)
        moved = ", ".join(f"m.{quote(name)}" for name in COLUMNS)
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            # Asked every time (only retried batches come here): a rollback takes a table
            # created in its transaction with it, whatever a flag set at commit would say.
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} "  # noqa: S608
                           f"ON COMMIT DELETE ROWS AS SELECT 0 AS n, {columns} "
                           f"FROM {table} WITH NO DATA")
            with cursor.copy(f"COPY {staging} (n, {columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(("int4", *copy_types()))
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
