"""The audit table refuses changes: in the ORM, and in the database itself."""

import pytest
from django.db import DatabaseError, connection, transaction

from piwarden.audit import services
from piwarden.audit.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(system_actor):
    return services.record(actor=system_actor, action="test.guarded")


def test_orm_refuses_to_change_a_record(event):
    """save() on a stored record and QuerySet.update() both raise."""
    event.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["action"])


def test_orm_refuses_to_delete_a_record(event):
    """delete() on a record or a queryset raises."""
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_orm_refuses_bulk_create(event):
    """Records are only written one at a time by record(), which chains them."""
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent(seq=10**9)])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'test.rewritten'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_database_refuses_raw_update_and_delete(event, sql):
    """Raw SQL that bypasses the ORM is refused by a trigger."""
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.guarded"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_postgresql_refuses_truncate(event):
    """TRUNCATE, which skips row triggers, has a statement trigger of its own."""
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Fire the deferred FK checks of this test's own insert, which would block TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
