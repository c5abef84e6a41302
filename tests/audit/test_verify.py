"""`piwarden audit verify` names the first record that was changed, removed or moved."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from piwarden.audit import append_only, services
from piwarden.audit.chain import compute_hash
from piwarden.audit.models import AuditEvent, ChainCheck, ChainHead

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(system_actor):
    """Five fresh records; the guard is dropped as a table owner with raw SQL access could."""
    events = [services.record(actor=system_actor, action="test.entry", detail={"n": n})
              for n in range(5)]
    append_only.remove(connection)  # rolled back with the test's transaction
    return events


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _verify_fails_at(seq):
    result = services.verify()
    assert not result.ok
    assert result.bad_seq == seq, str(result)
    with pytest.raises(CommandError, match=f"record #{seq}\\b"):
        call_command("audit", "verify")
    return result


def test_untouched_trail_verifies(trail, capsys):
    """A trail nobody touched passes, and the command says how many records it checked."""
    result = services.verify()
    assert result.ok and result.checked == trail[-1].seq
    call_command("audit", "verify")
    assert f"OK: {trail[-1].seq} records" in capsys.readouterr().out


def test_edited_record_is_reported(trail):
    """Changing any field of a stored record breaks its hash."""
    _sql("UPDATE audit_auditevent SET purpose = 'marketing' WHERE id = %s", [trail[2].pk])
    result = _verify_fails_at(trail[2].seq)
    assert "contents do not match" in result.problem
    assert result.bad_id == trail[2].pk


def test_edited_record_with_recomputed_hash_is_reported_at_the_next_one(trail):
    """Rewriting a record and its own hash still breaks the link from the record after it."""
    target = AuditEvent.objects.get(pk=trail[1].pk)
    target.action = "test.forged"
    _sql("UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
         [target.action, compute_hash(target), target.pk])
    result = _verify_fails_at(trail[2].seq)
    assert "link to the previous record" in result.problem


def test_deleted_record_is_reported(trail):
    """A record removed from the middle is named by its number."""
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [trail[3].pk])
    result = _verify_fails_at(trail[3].seq)
    assert "missing" in result.problem


def test_swapped_records_are_reported(trail):
    """Swapping two records' positions is caught at the first of them."""
    first, second = trail[1], trail[3]
    _sql("UPDATE audit_auditevent SET seq = 0 WHERE id = %s", [first.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [first.seq, second.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [second.seq, first.pk])
    _verify_fails_at(first.seq)


def test_records_cut_from_the_end_are_reported(trail):
    """Removing the newest records is caught by the chain head."""
    _sql("DELETE FROM audit_auditevent WHERE seq >= %s", [trail[3].seq])
    result = _verify_fails_at(trail[3].seq)
    assert "chain head" in result.problem


def test_head_prints_an_anchor_that_verify_checks(trail, capsys):
    """`audit head` gives SEQ:HASH; a forger who rewrites the tail and its head fails --anchor."""
    call_command("audit", "head")
    anchor = capsys.readouterr().out.strip()
    assert anchor == f"{trail[-1].seq}:{trail[-1].hash}"
    call_command("audit", "verify", "--anchor", anchor)

    forged = AuditEvent.objects.get(pk=trail[-1].pk)
    forged.action = "test.forged"
    forged.hash = compute_hash(forged)
    _sql("UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
         [forged.action, forged.hash, forged.pk])
    ChainHead.objects.filter(pk=1).update(hash=forged.hash)
    assert services.verify().ok  # the chain alone cannot tell
    with pytest.raises(CommandError, match=f"record #{trail[-1].seq}: it no longer matches"):
        call_command("audit", "verify", "--anchor", anchor)
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("audit", "verify", "--anchor", "nonsense")


def test_command_keeps_each_run_as_evidence(trail):
    """Every `audit verify` leaves a ChainCheck row: when, by whom, and what it found."""
    call_command("audit", "verify")
    check = ChainCheck.objects.latest("requested_at")
    assert check.ok is True and check.head_seq == trail[-1].seq
    assert check.requested_by == "system:audit.verify"


def test_console_button_queues_a_check_that_the_worker_runs(
    trail, admin_client, settings, django_capture_on_commit_callbacks
):
    """Staff press "Verify the chain now"; the task runs it and the result is listed."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    page = admin_client.get("/admin/audit/chaincheck/")
    assert b"Verify the chain now" in page.content
    _sql("UPDATE audit_auditevent SET action = 'test.rewritten' WHERE id = %s", [trail[0].pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/audit/chaincheck/run/")
    assert response.status_code == 302
    check = ChainCheck.objects.latest("requested_at")
    assert check.ok is False and check.bad_seq == trail[0].seq
    assert check.requested_by.startswith("staff:")
    assert admin_client.get("/admin/audit/chaincheck/run/").status_code == 405


def test_console_button_needs_the_permission(trail, client, django_user_model):
    """A staff member without the audit permission cannot queue checks."""
    clerk = django_user_model.objects.create_user("clerk", password="x" * 12, is_staff=True)
    client.force_login(clerk)
    assert client.post("/admin/audit/chaincheck/run/").status_code == 403
    assert not ChainCheck.objects.exists()
