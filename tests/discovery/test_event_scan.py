"""The background scan of stored events (V-5.1a, Z-8): ingestion minimizes URLs, so PI found in
a stored event means ingestion missed it; the scan redacts it, audits counts (never values),
raises one alert, and continues from where it stopped."""

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.collection.models import Event
from piwarden.discovery import events, tasks
from piwarden.jobs.models import Job, JobStatus

from .test_screening import EMAIL, MOBILE, tables_holding

pytestmark = pytest.mark.django_db
OLD = timedelta(minutes=30)
SYSTEM = Actor.system("tests")


def _event(person, n, url="https://www.example.cn/products/ecu", ago=OLD, **fields):
    return Event.objects.create(
        source="tests", event_id=f"e{n}", subject=person, kind="page_view",
        activity="log.access", occurred_at=timezone.now() - ago,
        received_at=timezone.now() - ago, url=url, **fields)


def test_v_5_1a_planted_email_in_a_stored_event_is_redacted_and_alerted(person):
    """An e-mail in a URL stored without ingestion (percent-encoded in the referrer) is
    redacted by the task, counted in the audit trail without the value, and alerted once."""
    clean = _event(person, 1)
    planted = _event(person, 2, url=f"https://www.example.cn/signup?welcome={EMAIL}",
                     referrer=f"https://mail.example.cn/?to={EMAIL.replace('@', '%40')}")
    result = tasks.screen_events.call()
    assert result == {"rows": 2, "found": {"email": 2}, "more": False}
    planted.refresh_from_db()
    assert planted.url == "https://www.example.cn/signup?welcome=[REDACTED]"
    assert planted.referrer == "https://mail.example.cn/?to=[REDACTED]"
    assert Event.objects.get(pk=clean.pk).url == clean.url
    assert tables_holding(EMAIL) == [] and tables_holding(EMAIL.replace("@", "%40")) == []
    record = AuditEvent.objects.get(action="collection.events_screened")
    detail = dict(record.detail)
    assert detail.pop("touched")["count"] == 1  # the person whose event was redacted
    assert detail == {"first_id": clean.pk, "last_id": planted.pk, "rows": 2,
                      "found": {"email": 2}, "events_redacted": 1}
    assert record.categories == ["user.contact.email"]
    alert = Alert.objects.get(kind=events.ALERT_KIND)
    assert alert.severity == "high" and alert.detail == {"found": {"email": 2}, "events": 1}
    assert EMAIL not in alert.summary
    queued = Job.objects.get(task_path=tasks.screen_events.module_path, status=JobStatus.READY)
    assert queued.run_after > timezone.now() + timedelta(minutes=14)


def test_the_next_run_starts_after_the_cursor_and_alerts_once_while_open(person):
    _event(person, 1, url=f"https://www.example.cn/?m={MOBILE}")
    assert events.screen_events(actor=SYSTEM)["found"] == {"cn_mobile": 1}
    assert events.events_cursor() == Event.objects.get().pk
    assert events.screen_events(actor=SYSTEM) == {"rows": 0, "found": {}, "more": False}
    _event(person, 2, url=f"https://www.example.cn/?m={MOBILE}")
    assert events.screen_events(actor=SYSTEM)["rows"] == 1
    assert Alert.objects.filter(kind=events.ALERT_KIND).count() == 1  # still unresolved
    assert AuditEvent.objects.filter(action="collection.events_screened").count() == 2


def test_young_rows_wait_and_batches_are_bounded(person):
    """Rows younger than ``SETTLE`` may belong to a transaction still open (a lower id can
    commit after a higher one): they wait for the next run. A full last batch runs again."""
    young = _event(person, 1, ago=timedelta(minutes=1))
    assert events.screen_events(actor=SYSTEM)["rows"] == 0
    Event.objects.filter(pk=young.pk).update(received_at=timezone.now() - OLD)
    for n in range(2, 6):
        _event(person, n)
    assert events.screen_events(actor=SYSTEM, batch=2, max_batches=2) == {
        "rows": 4, "found": {}, "more": True}
    assert events.screen_events(actor=SYSTEM, batch=2, max_batches=2)["rows"] == 1
    assert not Alert.objects.exists()


def test_server_addresses_and_organisation_codes_are_left_alone(person):
    _event(person, 1, url="http://203.0.113.7/shop?org=91110000600037341L")
    assert events.screen_events(actor=SYSTEM)["found"] == {}
    assert Event.objects.get().url == "http://203.0.113.7/shop?org=91110000600037341L"


def test_ensure_scheduled_queues_one_run_only():
    """``piwarden serve`` calls it at every start: one pending run, whatever the restarts."""
    assert tasks.ensure_scheduled() is True
    assert tasks.ensure_scheduled() is False


def test_z_8_a_lower_id_received_later_is_not_skipped(person):
    """A slow ingestion transaction took id 1 and committed after a fast one took id 2: when
    the scan runs, id 1 is not settled yet but id 2 is. The scan stops before id 1 (the cursor
    never passes an unsettled row), and scans both once id 1 has settled."""
    slow = _event(person, 1, url=f"https://www.example.cn/?m={MOBILE}",
                  ago=timedelta(minutes=1))
    fast = _event(person, 2)
    assert events.screen_events(actor=SYSTEM) == {"rows": 0, "found": {}, "more": False}
    assert events.events_cursor() == 0
    Event.objects.filter(pk=slow.pk).update(received_at=timezone.now() - OLD)
    assert events.screen_events(actor=SYSTEM) == {
        "rows": 2, "found": {"cn_mobile": 1}, "more": False}
    assert Event.objects.get(pk=slow.pk).url == "https://www.example.cn/?m=[REDACTED]"
    assert events.events_cursor() == fast.pk


def test_z_8_a_batch_stops_at_the_first_unsettled_row(person):
    """Settled rows before an unsettled one are scanned; the cursor stops just before it."""
    first = _event(person, 1)
    _event(person, 2, ago=timedelta(minutes=1))
    _event(person, 3)
    assert events.screen_events(actor=SYSTEM)["rows"] == 1
    assert events.events_cursor() == first.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite: IMMEDIATE transactions")
def test_z_8_each_batch_holds_the_scan_lock(person, monkeypatch):
    """While a batch is being written, another connection cannot take the scan's lock: a
    second run at the same time waits for the batch to commit, then reads the moved cursor
    (no batch scanned twice, no duplicate audit record)."""
    from piwarden.collection import services as collection

    _event(person, 1)
    held = []
    write = collection.redact_events

    def redact_events(**kwargs):
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [events.LOCK_KEY])
                held.append(not cursor.fetchone()[0])
                cursor.execute("SELECT pg_advisory_unlock_all()")
        finally:
            other.close()
        return write(**kwargs)

    monkeypatch.setattr(collection, "redact_events", redact_events)
    assert events.screen_events(actor=SYSTEM)["rows"] == 1
    assert held == [True]
