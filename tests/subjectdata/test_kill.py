"""A worker process killed with SIGKILL in the middle of an erasure run: the rerun finishes
cleanly, and no source runs twice."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.subjectdata import services
from piwarden.subjectdata.models import ErasureRun, RunStatus
from piwarden.subjects import registry
from piwarden.subjects.models import SubjectStatus
from piwarden.vault.models import VaultValue

WORKER = textwrap.dedent("""
    import pathlib, sys, time
    import django
    django.setup()
    from piwarden.subjects import registry
    from piwarden.subjectdata import services

    def stuck(*, actor, subject, categories):
        pathlib.Path(sys.argv[2]).write_text("inside")
        time.sleep(120)

    registry.register(registry.Source(name="m.probe", models=(), categories=("user",),
                                      export=lambda s: {}, erase=stuck))
    services.run_erasure(run_id=sys.argv[1])
""")


@pytest.fixture
def probe(monkeypatch):
    calls = []

    def erase(*, actor, subject, categories):
        calls.append(subject.pk)
        return registry.Erased(erased=1)

    monkeypatch.setitem(registry._sources, "m.probe", registry.Source(
        name="m.probe", models=(), categories=("user",), export=lambda s: {}, erase=erase))
    return calls


def test_killed_worker_then_rerun_finishes_cleanly(committed_db, make_person, settings,
                                                   test_database_url, tmp_path, probe):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    person = make_person()
    run = services.start_erasure(actor=Actor.system("tests"), subject=person.subject,
                                 categories=None, reason="deletion request")
    marker = tmp_path / "inside"
    env = {**os.environ, "DATABASE_URL": test_database_url,
           "DJANGO_SETTINGS_MODULE": "piwarden.settings", "PIWARDEN_LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(run.pk), str(marker)],
                              env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert worker.poll() is None, "the worker ended before reaching the probe"
            assert time.monotonic() < deadline, "the worker never reached the probe"
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    run.refresh_from_db()
    before = [s.name for s in registry.sources() if s.name < "m.probe" and not s.identifies]
    assert run.status == RunStatus.RUNNING and sorted(run.progress) == before
    assert VaultValue.objects.filter(subject=person.subject).exists()

    run = services.run_erasure(run_id=run.pk)
    assert run.status == RunStatus.DONE and probe == [person.subject_id]
    assert sorted(run.progress) == sorted(s.name for s in registry.sources())
    sources = list(AuditEvent.objects.filter(subject=person.subject,
                                             action="subjectdata.source_erased")
                   .values_list("detail__source", flat=True))
    assert sorted(sources) == sorted(set(sources)) == sorted(run.progress)
    person.subject.refresh_from_db()
    assert person.subject.status == SubjectStatus.ERASED
    assert not VaultValue.objects.filter(subject=person.subject).exists()
    assert ErasureRun.objects.get(pk=run.pk).certificate["vault_key_destroyed"] is True
