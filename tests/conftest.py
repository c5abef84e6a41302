"""Shared fixtures. Tests run on whatever DATABASE_URL names (SQLite by default)."""

import pytest
from django.db import connection

from piwarden.audit import append_only
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, ChainHead
from piwarden.clients.models import ApiClient
from piwarden.subjects.models import Subject


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the shipped catalog loaded, as a deployment does."""
    from piwarden.catalog.services import load_catalog

    with django_db_blocker.unblock():
        load_catalog(actor=Actor.system("tests"))


@pytest.fixture(autouse=True)
def _uncollected_static_files(settings):
    """Tests serve static files from the apps, without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def system_actor():
    return Actor.system("tests")


@pytest.fixture
def test_database_url() -> str:
    """The URL of this run's test database, for processes the test starts."""
    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{cfg['NAME']}"
    password = f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else ""
    host = f"{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}"
    return f"postgres://{cfg['USER'] or 'postgres'}{password}@{host}/{cfg['NAME']}"


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access without the per-test transaction, for tests that need real commits
    (parallel writers, code that must refuse to run outside a transaction).

    Django's own ``transaction=True`` cannot be used: its flush truncates the audit table,
    which the append-only guard refuses. This fixture removes what the test committed.
    """
    with django_db_blocker.unblock():
        head = ChainHead.objects.get(pk=1)
        subjects = set(Subject.objects.values_list("pk", flat=True))
        clients = set(ApiClient.objects.values_list("pk", flat=True))
        try:
            yield
        finally:
            append_only.remove(connection)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM audit_auditevent WHERE seq > %s", [head.seq])
                ChainHead.objects.filter(pk=1).update(seq=head.seq, hash=head.hash)
                Subject.objects.exclude(pk__in=subjects).delete()
                ApiClient.objects.exclude(pk__in=clients).delete()
            finally:
                append_only.install(connection)
            assert AuditEvent.objects.count() == head.seq
