"""One record per action names everyone it touched: child rows, their digest in the hash."""

import hashlib

import pytest
from django.db import DatabaseError, connection, transaction

from piwarden.audit import append_only, services
from piwarden.audit.chain import compute_hash
from piwarden.audit.models import AppendOnlyError, AuditEvent, AuditSubject

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_subject):
    return [make_subject() for _ in range(4)]


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_v_5_3a_batch_record_names_each_person_in_child_rows(system_actor, people):
    """Subjects or their ids (UUID or text), repeated or not: one record, one row each, and
    the sorted-id digest inside the record's hashed detail."""
    with transaction.atomic():
        event = services.record(
            actor=system_actor, action="test.batch", detail={"count": 4},
            subjects=[people[0], people[1].pk, str(people[2].pk), people[3], people[0].pk])
    stored = AuditEvent.objects.get(pk=event.pk)
    named = set(AuditSubject.objects.filter(event=stored).values_list("subject_id", flat=True))
    assert named == {p.pk for p in people}
    expected = hashlib.sha256("\n".join(sorted(str(p.pk) for p in people)).encode()).hexdigest()
    assert stored.detail == {"count": 4, "touched": {"count": 4, "sha256": expected}}
    assert compute_hash(stored) == stored.hash


def test_record_many_writes_each_records_own_people(system_actor, people):
    with transaction.atomic():
        first, plain, second = services.record_many([
            {"actor": system_actor, "action": "test.one", "subjects": people[:2]},
            {"actor": system_actor, "action": "test.two"},
            {"actor": system_actor, "action": "test.three", "subjects": people[2:]},
        ])
    rows = set(AuditSubject.objects.filter(event__in=[first, plain, second])
               .values_list("event_id", "subject_id"))
    assert rows == {(first.pk, people[0].pk), (first.pk, people[1].pk),
                    (second.pk, people[2].pk), (second.pk, people[3].pk)}
    assert "touched" not in plain.detail
    assert services.verify().ok


def test_record_without_subjects_writes_no_child_row_and_no_digest(system_actor):
    with transaction.atomic():
        event = services.record(actor=system_actor, action="test.alone", subjects=[])
    assert event.detail == {}
    assert not AuditSubject.objects.filter(event=event).exists()


def test_caller_cannot_write_the_digest_itself(system_actor, people):
    with pytest.raises(services.AuditError, match="touched"), transaction.atomic():
        services.record(actor=system_actor, action="test.forge", subjects=people[:1],
                        detail={"touched": {"count": 0, "sha256": ""}})


def test_child_rows_roll_back_with_the_action(system_actor, people):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(actor=system_actor, action="test.doomed", subjects=people)
        raise RuntimeError
    assert not AuditSubject.objects.filter(event__action="test.doomed").exists()


def test_orm_and_database_refuse_to_change_child_rows(system_actor, people):
    with transaction.atomic():
        event = services.record(actor=system_actor, action="test.guarded", subjects=people)
    row = AuditSubject.objects.filter(event=event).first()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditSubject.objects.filter(event=event).delete()
    with pytest.raises(AppendOnlyError):
        AuditSubject.objects.filter(event=event).update(subject=people[0])
    with pytest.raises(AppendOnlyError):
        AuditSubject.objects.bulk_create([AuditSubject(event=event, subject=people[0])])
    for sql in ("DELETE FROM audit_auditsubject",
                "UPDATE audit_auditsubject SET event_id = event_id"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic()):
            _sql(sql)
    assert AuditSubject.objects.filter(event=event).count() == len(people)


@pytest.fixture
def touched_trail(system_actor, people):
    with transaction.atomic():
        events = [services.record(actor=system_actor, action="test.entry", subjects=people[:2]),
                  services.record(actor=system_actor, action="test.entry", subjects=people[2:]),
                  services.record(actor=system_actor, action="test.plain")]
    append_only.remove(connection)  # the attacker; rolled back with the test's transaction
    assert services.verify().ok
    return events


def test_v_5_3a_removed_child_row_is_reported(touched_trail, people):
    _sql("DELETE FROM audit_auditsubject WHERE event_id = %s AND subject_id = %s",
         [touched_trail[1].pk, AuditSubject._meta.get_field("subject").get_db_prep_value(
             people[3].pk, connection)])
    result = services.verify()
    assert not result.ok and result.bad_seq == touched_trail[1].seq
    assert "do not match its digest" in result.problem


def test_v_5_3a_added_child_row_is_reported(touched_trail, people):
    prep = AuditSubject._meta.get_field("subject").get_db_prep_value
    _sql("INSERT INTO audit_auditsubject (event_id, subject_id) VALUES (%s, %s)",
         [touched_trail[0].pk, prep(people[3].pk, connection)])
    result = services.verify()
    assert not result.ok and result.bad_seq == touched_trail[0].seq


def test_v_5_3a_child_row_added_to_a_record_without_people_is_reported(touched_trail, people):
    prep = AuditSubject._meta.get_field("subject").get_db_prep_value
    _sql("INSERT INTO audit_auditsubject (event_id, subject_id) VALUES (%s, %s)",
         [touched_trail[2].pk, prep(people[0].pk, connection)])
    result = services.verify()
    assert not result.ok and result.bad_seq == touched_trail[2].seq
    assert "never listed" in result.problem


def test_v_5_3a_moved_child_row_is_reported(touched_trail, people):
    """Swapping a person for another keeps the count but not the digest."""
    prep = AuditSubject._meta.get_field("subject").get_db_prep_value
    _sql("UPDATE audit_auditsubject SET subject_id = %s WHERE event_id = %s AND subject_id = %s",
         [prep(people[3].pk, connection), touched_trail[0].pk, prep(people[0].pk, connection)])
    result = services.verify()
    assert not result.ok and result.bad_seq == touched_trail[0].seq


def test_digest_rewritten_with_the_rows_breaks_the_hash(touched_trail, people):
    """Changing the digest to cover altered rows changes the record's content."""
    _sql("DELETE FROM audit_auditsubject WHERE event_id = %s", [touched_trail[1].pk])
    forged = {"touched": {"count": 0, "sha256": hashlib.sha256(b"").hexdigest()}}
    import json
    _sql("UPDATE audit_auditevent SET detail = %s WHERE id = %s",
         [json.dumps(forged), touched_trail[1].pk])
    result = services.verify()
    assert not result.ok and result.bad_seq == touched_trail[1].seq
    assert "contents do not match" in result.problem


def test_console_lists_the_people_a_record_names(system_actor, people, admin_client):
    with transaction.atomic():
        event = services.record(actor=system_actor, action="test.batch", subjects=people)
    page = admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert f"/admin/audit/auditsubject/?event__id__exact={event.pk}" in page.content.decode()
    listing = admin_client.get(f"/admin/audit/auditsubject/?q={people[0].pk}")
    assert listing.status_code == 200 and str(people[0].pk) in listing.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_postgresql_refuses_truncate_of_child_rows(system_actor, people):
    with transaction.atomic():
        event = services.record(actor=system_actor, action="test.guarded", subjects=people)
    with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic()):
        _sql("SET CONSTRAINTS ALL IMMEDIATE")
        _sql("TRUNCATE audit_auditsubject")
    assert AuditSubject.objects.filter(event=event).count() == len(people)
