"""The database triggers that report changes to every process's cache watcher (freshness.py).

Installed after every ``migrate`` (post_migrate), idempotently: SQLite rebuilds a table on many
schema changes and drops its triggers with it, so a fixed migration would silently lose them.

What is watched, and why (each is something a cached answer is computed from):
- consent states and a subject's status: the per-subject decision view;
- §4.4 exceptions: the subject's view and the "any exception on record" flag;
- catalog releases: the decision rules and collection rules;
- API clients: the key cache (a revoked key stops working on every host).
"""

from django.db import connection

from piwarden.caches import freshness

# (table, column naming the subject or None, slot or None, events)
WATCHED = (
    ("consent_consentstate", "subject_id", None, ("INSERT", "UPDATE", "DELETE")),
    ("consent_basisexception", "subject_id", freshness.EXCEPTIONS, ("INSERT", "UPDATE", "DELETE")),
    ("subjects_subject", "id", None, ("UPDATE OF status", "DELETE")),
    ("catalog_catalogrelease", None, freshness.CATALOG, ("INSERT",)),
    ("clients_apiclient", None, freshness.API_CLIENTS, ("INSERT", "UPDATE", "DELETE")),
)


def _name(table: str, event: str) -> str:
    return f"piwarden_changes_{table}_{event.split()[0].lower()}"


def _sqlite(table, column, slot, event) -> str:  # names and numbers from WATCHED, no input
    row = "OLD" if event == "DELETE" else "NEW"
    values = []
    if column:
        values.append(f"({row}.{column}, NULL, strftime('%Y-%m-%d %H:%M:%f', 'now'))")
    if slot is not None:
        values.append(f"('', {slot}, strftime('%Y-%m-%d %H:%M:%f', 'now'))")
    return (f"CREATE TRIGGER IF NOT EXISTS {_name(table, event)} AFTER {event} ON {table} "  # noqa: S608
            f"BEGIN INSERT INTO caches_change (subject_id, slot, at) VALUES {', '.join(values)}; "
            f"END")


def _pg_function(column: str) -> str:
    """One function per subject column: NEW.<column> is cheaper than a dynamic lookup."""
    return f"""CREATE OR REPLACE FUNCTION piwarden_changes_{column}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            PERFORM pg_notify('{freshness.CHANNEL}', 's' || OLD.{column}::text);
        ELSE
            PERFORM pg_notify('{freshness.CHANNEL}', 's' || NEW.{column}::text);
        END IF;
        RETURN NULL;
    END $$"""


_PG_FUNCTIONS = (
    _pg_function("subject_id"),
    _pg_function("id"),
    f"""CREATE OR REPLACE FUNCTION piwarden_changes_slot() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{freshness.CHANNEL}', 'k' || TG_ARGV[0]);
        RETURN NULL;
    END $$""",
)


def _postgres(table, column, slot, event) -> list[str]:
    statements = []
    name = _name(table, event)
    if column:
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION piwarden_changes_{column}()",
        ]
    if slot is not None:
        statements += [
            f"DROP TRIGGER IF EXISTS {name}_slot ON {table}",
            f"CREATE TRIGGER {name}_slot AFTER {event} ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION piwarden_changes_slot('{slot}')",
        ]
    return statements


def statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [*_PG_FUNCTIONS, *(statement for table, column, slot, events in WATCHED
                                  for event in events
                                  for statement in _postgres(table, column, slot, event))]
    if vendor == "sqlite":
        return [_sqlite(table, column, slot, event)
                for table, column, slot, events in WATCHED for event in events]
    return []


def install(using: str = "default", **kwargs) -> None:
    """post_migrate receiver: (re)create the triggers."""
    from django.db import connections

    target = connections[using] if using else connection
    tables = set(target.introspection.table_names())
    if "caches_change" not in tables or not {table for table, *_ in WATCHED} <= tables:
        return  # a partial migrate: the next full one installs them
    with target.cursor() as cursor:
        for statement in statements(target.vendor):
            cursor.execute(statement)
