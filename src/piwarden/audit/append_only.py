"""Database triggers that refuse UPDATE, DELETE and TRUNCATE on the audit tables (the
records and the people each one names).

The ORM already refuses changes (models.AuditEventQuerySet, AuditSubjectQuerySet); these
guard raw SQL and other
clients. A table owner can still drop them, which is what the hash chain is for.
"""

from django.db import connections

TABLE = "audit_auditevent"
TABLES = (TABLE, "audit_auditsubject")  # the records, and the people each one names

_POSTGRES_FUNCTION = """
    CREATE OR REPLACE FUNCTION piwarden_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit trail is append-only: % refused on %', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """
_SQLITE_NAMES = {TABLE: "audit_append_only", "audit_auditsubject": "audit_subject_append_only"}


def _postgres_install(table: str) -> list[str]:
    return [
        f"""
        CREATE OR REPLACE TRIGGER audit_append_only_rows BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION piwarden_audit_append_only()
        """,
        f"""
        CREATE OR REPLACE TRIGGER audit_append_only_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION piwarden_audit_append_only()
        """,
    ]


def _postgres_remove(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS audit_append_only_rows ON {table}",
            f"DROP TRIGGER IF EXISTS audit_append_only_truncate ON {table}"]


def _sqlite_install(table: str) -> list[str]:
    # SQLite trigger names are global to the schema: the event table keeps its first names.
    return [f"""
    CREATE TRIGGER IF NOT EXISTS {_SQLITE_NAMES[table]}_{op.lower()} BEFORE {op} ON {table}
    BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: {op} refused'); END
    """ for op in ("UPDATE", "DELETE")]


def _sqlite_remove(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {_SQLITE_NAMES[table]}_{op.lower()}"
            for op in ("UPDATE", "DELETE")]


def _statements(connection, install: bool, tables: tuple[str, ...]) -> list[str]:
    if connection.vendor == "postgresql":
        per_table = _postgres_install if install else _postgres_remove
        first = [_POSTGRES_FUNCTION] if install else []
    elif connection.vendor == "sqlite":
        per_table, first = (_sqlite_install if install else _sqlite_remove), []
    else:
        raise NotImplementedError(f"no append-only guard for {connection.vendor}")
    return first + [sql for table in tables for sql in per_table(table)]


def install(connection, tables: tuple[str, ...] = TABLES) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, True, tables):
            cursor.execute(sql)


def remove(connection) -> None:
    """Drop the guard, as a table owner could: tests use it to play the attacker."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, False, TABLES):
            cursor.execute(sql)


def install_after_migrate(sender, using, **kwargs) -> None:
    connection = connections[using]
    present = tuple(table for table in TABLES if table in connection.introspection.table_names())
    if present:
        install(connection, present)
