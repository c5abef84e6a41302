"""Shared fixtures. Tests run on whatever DATABASE_URL names (SQLite by default)."""

import logging

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.utils import translation

from piwarden.audit import append_only
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, ChainHead
from piwarden.clients.models import ApiClient
from piwarden.jobs.models import Job, WorkerBeat
from piwarden.outbox.models import Message
from piwarden.subjects.models import Subject
from piwarden.vault import keys


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    """The test database starts with the shipped catalog loaded, as a deployment does.

    pytest-django creates it only when a selected test is marked ``django_db``; a run of
    ``committed_db`` tests alone needs it too, so it is created here in that case.
    """
    from django.test.utils import setup_databases, teardown_databases

    from piwarden.catalog.services import load_catalog

    with django_db_blocker.unblock():
        if not any(item.get_closest_marker("django_db") for item in request.session.items):
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})

            def teardown():
                with django_db_blocker.unblock():
                    teardown_databases(created, verbosity=0)
            request.addfinalizer(teardown)
        load_catalog(actor=Actor.system("tests"))


@pytest.fixture(autouse=True)
def _uncollected_static_files(settings):
    """Tests serve static files from the apps, without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    """A request in Chinese leaves its language active on the thread (LocaleMiddleware does
    not undo it): a later test that calls a service directly would then get Chinese words."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _master_key_follows_the_data_dir():
    """Several conftests point DATA_DIR at a temporary folder, whose master key the vault's
    provider then caches: forget it after each test, so later tests (and the worker processes
    they start, which read the data folder's key file) agree on the key."""
    yield
    keys.reset_provider()


@pytest.fixture
def fresh_caches(settings, tmp_path):
    """Own DATA_DIR (so own freshness file) per test, and no cached decision or catalog view
    outliving the test's rollback. Apps whose tests read cached decisions make it autouse."""
    from piwarden.caches import freshness
    from piwarden.catalog import selectors
    from piwarden.consent import decisions

    settings.DATA_DIR = tmp_path
    freshness.reset()
    decisions.clear_cache()
    selectors.clear_cache()
    yield
    freshness.reset()
    decisions.clear_cache()
    selectors.clear_cache()


@pytest.fixture
def logged(caplog):
    """Every log record at DEBUG, SQL statements with their parameters included."""
    for name in ("", "django", "django.db.backends", "piwarden"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


@pytest.fixture
def make_subject(system_actor):
    from django.db import transaction

    from piwarden.subjects.models import SubjectKind
    from piwarden.subjects.services import create_subject

    def make(kind=SubjectKind.ACCOUNT_HOLDER):
        with transaction.atomic():
            return create_subject(actor=system_actor, kind=kind)
    return make


@pytest.fixture
def person(make_subject):
    return make_subject()


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
        jobs = set(Job.objects.values_list("pk", flat=True))
        messages = set(Message.objects.values_list("pk", flat=True))
        try:
            yield
        finally:
            append_only.remove(connection)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM audit_auditsubject WHERE event_id IN (SELECT id "
                                   "FROM audit_auditevent WHERE seq > %s)", [head.seq])
                    cursor.execute("DELETE FROM audit_auditevent WHERE seq > %s", [head.seq])
                ChainHead.objects.filter(pk=1).update(seq=head.seq, hash=head.hash)
                Subject.objects.exclude(pk__in=subjects).delete()
                ApiClient.objects.exclude(pk__in=clients).delete()
                Job.objects.exclude(pk__in=jobs).delete()
                Message.objects.exclude(pk__in=messages).delete()
                WorkerBeat.objects.all().delete()  # workers the test started (and killed)
            finally:
                append_only.install(connection)
            assert AuditEvent.objects.count() == head.seq


@pytest.fixture
def live_url(committed_db):
    """A real HTTP server on a free port, serving the app (and its static files) from a thread.

    It shares the test database, so the test must use committed data (``committed_db``).
    """
    import threading

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    # Request threads come and go: each must close its connection when its request ends, or
    # PostgreSQL refuses to drop the test database at the end of the run.
    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        connection.settings_dict["CONN_MAX_AGE"] = max_age


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """Headless Debian Chromium through Playwright; skipped outside CI when it is missing."""
    import os
    import shutil

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not os.path.exists(executable):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Playwright and /usr/bin/chromium (see .ci/run)")
        pytest.skip("browser tests need Playwright and Debian's chromium "
                    "(apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"], headless=True)
        yield chromium
        chromium.close()
        # While Playwright's event loop is set, Django keeps connections per context, so the
        # connections opened meanwhile are closed here, before the loop goes away.
        connections.close_all()
