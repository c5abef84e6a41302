"""Writing and reading rows by the thousand (the provision gateway's batches).

``append``: COPY on PostgreSQL (psycopg formats rows in C), one executemany on SQLite.
``uuid_in``: a filter on many ids as one parameter; ``uuid_table``: many ids as a table to
join. The ORM spent most of such a batch building per-value SQL. Rows are tuples of database
values in ``columns`` order (callers prepare them with the fields' ``get_db_prep_save``); there
is no conflict handling, so only append-only tables with no unique key use it.
"""

import json
import uuid

import psycopg
from django.db import transaction


def append(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    if connection.vendor == "postgresql":
        with (connection.wrap_database_errors,
              psycopg.Cursor(connection.connection) as cursor,
              cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy):
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
                           rows)


def uuid_in(column: str, ids: list[uuid.UUID], connection) -> tuple[str, list]:
    """``column IN (ids)`` as one bound parameter (an array on PostgreSQL, a JSON list on
    SQLite): a filter on thousands of ids without compiling thousands of placeholders."""
    if connection.vendor == "postgresql":  # one text literal: psycopg's array dump cost more
        return f"{column} = ANY(%s::uuid[])", ["{" + ",".join(map(str, ids)) + "}"]
    # The column name comes from the caller's code, never from input.
    return (f"{column} IN (SELECT value FROM json_each(%s))",  # noqa: S608
            [json.dumps([i.hex for i in ids])])


def uuid_table(ids: list[uuid.UUID | str], connection) -> tuple[str, list]:
    """A table ``ids(id, position)`` of many ids (UUIDs, or their canonical texts;
    ``position`` counts from 0 in list order) as one bound parameter: joined to a table, it
    answers "which of these" with small integers instead of ids to parse."""
    if connection.vendor == "postgresql":
        return ("(SELECT id, position - 1 AS position FROM unnest(%s::uuid[]) "
                "WITH ORDINALITY AS listed(id, position)) AS ids",
                ["{" + ",".join(map(str, ids)) + "}"])
    return ("(SELECT value AS id, key AS position FROM json_each(%s)) AS ids",
            [json.dumps([i.hex if isinstance(i, uuid.UUID) else i.replace("-", "")
                         for i in ids])])


def as_uuid(value) -> uuid.UUID:
    """A UUID column's value as the driver returns it (UUID on PostgreSQL, hex on SQLite)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
