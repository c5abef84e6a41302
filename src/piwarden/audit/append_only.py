"""Database triggers that refuse UPDATE, DELETE and TRUNCATE on the audit table.

The ORM already refuses changes (models.AuditEventQuerySet); these guard raw SQL and other
clients. A table owner can still drop them, which is what the hash chain is for.
"""

from django.db import connections

TABLE = "audit_auditevent"

_POSTGRES_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION piwarden_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit trail is append-only: % refused on %', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    f"""
    CREATE OR REPLACE TRIGGER audit_append_only_rows BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION piwarden_audit_append_only()
    """,
    f"""
    CREATE OR REPLACE TRIGGER audit_append_only_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION piwarden_audit_append_only()
    """,
]
_POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_append_only_rows ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_append_only_truncate ON {TABLE}",
]
_SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_append_only_{op.lower()} BEFORE {op} ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: {op} refused'); END
    """
    for op in ("UPDATE", "DELETE")
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_append_only_update",
    "DROP TRIGGER IF EXISTS audit_append_only_delete",
]


def _statements(connection, install: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return _POSTGRES_INSTALL if install else _POSTGRES_REMOVE
    if connection.vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_REMOVE
    raise NotImplementedError(f"no append-only guard for {connection.vendor}")


def install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=True):
            cursor.execute(sql)


def remove(connection) -> None:
    """Drop the guard, as a table owner could: tests use it to play the attacker."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=False):
            cursor.execute(sql)


def install_after_migrate(sender, using, **kwargs) -> None:
    connection = connections[using]
    if TABLE in connection.introspection.table_names():
        install(connection)
