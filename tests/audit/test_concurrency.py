"""Parallel writers, in threads and in processes, never fork or break the chain."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connections, transaction

from piwarden.audit import services
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, ChainHead

WRITERS = 4
PER_WRITER = 25
WRITER_SCRIPT = Path(__file__).with_name("concurrent_writer.py")


def _assert_one_unbroken_chain(start_seq: int, added: int) -> None:
    events = list(AuditEvent.objects.filter(seq__gt=start_seq).order_by("seq"))
    assert [event.seq for event in events] == list(range(start_seq + 1, start_seq + added + 1))
    result = services.verify()
    assert result.ok, str(result)
    assert ChainHead.objects.get(pk=1).seq == start_seq + added


def test_record_refuses_to_run_outside_a_transaction(committed_db):
    """Without an atomic block the record could outlive a failed action: refused."""
    with pytest.raises(services.AuditError, match="transaction"):
        services.record(actor=Actor.system("tests"), action="test.autocommit")


def test_committed_action_keeps_its_record_and_failed_one_leaves_none(committed_db):
    """The record commits or rolls back with the action it describes."""
    actor = Actor.system("tests")
    with transaction.atomic():
        kept = services.record(actor=actor, action="test.kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(actor=actor, action="test.lost")
        raise RuntimeError
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert not AuditEvent.objects.filter(action="test.lost").exists()
    assert services.verify().ok


@pytest.mark.slow
def test_parallel_threads_keep_one_chain(committed_db):
    """Four threads appending at once produce one gap-free, verifiable chain."""
    start = ChainHead.objects.get(pk=1).seq
    errors = []

    def write(writer: int) -> None:
        try:
            for number in range(PER_WRITER):
                with transaction.atomic():
                    services.record(actor=Actor.system(f"thread-{writer}"),
                                    action="test.parallel_append",
                                    detail={"writer": writer, "n": number})
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    _assert_one_unbroken_chain(start, WRITERS * PER_WRITER)


@pytest.mark.slow
def test_parallel_processes_keep_one_chain(committed_db, test_database_url):
    """Four processes appending at once produce one gap-free, verifiable chain."""
    start = ChainHead.objects.get(pk=1).seq
    env = {**os.environ, "DATABASE_URL": test_database_url}
    processes = [
        subprocess.Popen(
            [sys.executable, str(WRITER_SCRIPT), str(writer), str(PER_WRITER)],
            env=env, stderr=subprocess.PIPE, text=True,
        )
        for writer in range(WRITERS)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
    _assert_one_unbroken_chain(start, WRITERS * PER_WRITER)
