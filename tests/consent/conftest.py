import pytest

from piwarden.audit.actors import Actor

NOTICE = "We would like to e-mail you product news. You can withdraw at any time."


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """Every consent test reads cached decisions: none may outlive a test's rollback."""


@pytest.fixture
def person_actor(person):
    return Actor.person(person)


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
_AUDIT_STORE = ("audit_chainhead", "audit_auditevent", "piwarden_audit_append")


class Statements(list):
    """The SQL statements sent in a ``with statements():`` block, transaction control left
    out, and each audit record counted as one statement: how ``audit.store`` appends it is its
    own business (one statement on PostgreSQL; a head read, the insert and the head move under
    SQLite's write lock)."""


@pytest.fixture
def statements():
    import contextlib

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from piwarden.audit.models import AuditEvent

    @contextlib.contextmanager
    def counting():
        sent = Statements()
        appended = AuditEvent.objects.count()
        if connection.vendor == "postgresql":
            # At psycopg's cursor, which also sees the ledger's own server-binding cursor
            # (Django's query log does not).
            import psycopg

            execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

            def counted(self, query, *args, **kwargs):
                sent.append(str(query))
                return execute(self, query, *args, **kwargs)

            def counted_many(self, query, params_seq, *args, **kwargs):
                params_seq = list(params_seq)
                sent.extend([str(query)] * len(params_seq))
                return executemany(self, query, params_seq, *args, **kwargs)

            # The ledger's one-message write (store._send: BEGIN and the statement) is its
            # one statement.
            from piwarden.consent import store

            send = store._send

            def counted_send(connection, raw, params):
                sent.append("(consent write)")
                return send(connection, raw, params)

            psycopg.Cursor.execute, psycopg.Cursor.executemany = counted, counted_many
            store._send = counted_send
            try:
                yield sent
            finally:
                psycopg.Cursor.execute, psycopg.Cursor.executemany = execute, executemany
                store._send = send
        else:
            with CaptureQueriesContext(connection) as captured:
                yield sent
            sent.extend(query["sql"] for query in captured.captured_queries)
        sent[:] = [sql for sql in sent if not sql.lstrip().upper().startswith(_CONTROL)
                   and not any(table in sql for table in _AUDIT_STORE)]
        sent.extend(["(audit record)"] * (AuditEvent.objects.count() - appended))

    return counting
