"""The database triggers that report changes to every process's cache watcher (freshness.py).

Installed after every ``migrate`` (post_migrate), idempotently: SQLite rebuilds a table on many
schema changes and drops its triggers with it, so a fixed migration would silently lose them.

What is watched, and why (each is something a cached answer is computed from):
- consent states and a subject's status: the per-subject decision view. An update of a state
  reports only when a column that view reads changes: a grant repeated as a fresh affirmation
  (a new event, the state's time and event moved on, the choice the same) changes no cached
  answer, and telling every process about it cost each of them a wake-up per write;
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
# (table, event) → the columns whose change is reported (every change otherwise): those the
# decision view reads (consent.decisions._read_views).
ONLY_WHEN_CHANGED = {
    ("consent_consentstate", "UPDATE"): ("subject_id", "purpose", "scope", "recipient", "choice"),
}


def _name(table: str, event: str) -> str:
    return f"piwarden_changes_{table}_{event.split()[0].lower()}"


def _when(table: str, event: str, differ: str) -> str:
    """`` WHEN (…)`` limiting the trigger to changes of ONLY_WHEN_CHANGED's columns, or ""."""
    columns = ONLY_WHEN_CHANGED.get((table, event))
    if not columns:
        return ""
    return " WHEN (" + " OR ".join(f"OLD.{c} {differ} NEW.{c}" for c in columns) + ")"


def _sqlite(table, column, slot, event) -> list[str]:  # names from WATCHED, no input
    row = "OLD" if event == "DELETE" else "NEW"
    values = []
    if column:
        values.append(f"({row}.{column}, NULL, strftime('%Y-%m-%d %H:%M:%f', 'now'))")
    if slot is not None:
        values.append(f"('', {slot}, strftime('%Y-%m-%d %H:%M:%f', 'now'))")
    name = _name(table, event)
    return [f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"  # noqa: S608
            f"{_when(table, event, 'IS NOT')} BEGIN INSERT INTO caches_change "
            f"(subject_id, slot, at) VALUES {', '.join(values)}; END"]


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
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW"
            f"{_when(table, event, 'IS DISTINCT FROM')} "
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
        return [statement for table, column, slot, events in WATCHED for event in events
                for statement in _sqlite(table, column, slot, event)]
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
