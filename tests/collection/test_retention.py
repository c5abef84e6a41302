"""Retention: the catalog's periods, the bounded runner, the recurring task and the command."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.collection import retention, services, tasks
from piwarden.collection.models import DeviceLink, Event
from piwarden.jobs.models import Job, JobStatus
from piwarden.subjects import registry

from .conftest import event

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def _stored(person, grant, *, ago: timedelta, n: int = 1, kind="page_view"):
    when = timezone.now() - ago
    if kind == "location":
        grant(person, "location.service")
        events = [event(kind=kind, subject=person, when=when, latitude=1.0, longitude=2.0)
                  for _ in range(n)]
    else:
        events = [event(kind=kind, subject=person, when=when, url="/") for _ in range(n)]
    batch = services.ingest(actor=ACTOR, source="client:t", events=events)
    assert batch.count("stored") == n
    # Retention counts from receipt: these rows arrived ``ago``.
    Event.objects.filter(event_id__in=[e["event_id"] for e in events]).update(received_at=when)


def test_durations_subtract_calendar_wise():
    moment = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert retention.parse_duration("P1M").before(moment) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert retention.parse_duration("P12M").before(moment) == datetime(2025, 3, 31, 12,
                                                                       tzinfo=UTC)
    assert retention.parse_duration("P1Y2W3D").before(moment) == datetime(2025, 3, 14, 12,
                                                                          tzinfo=UTC)
    assert moment + retention.parse_duration("P30D") == datetime(2026, 4, 30, 12, tzinfo=UTC)
    for rule in ("account_lifetime", "until_withdrawn", "legal_hold", "session", ""):
        assert retention.parse_duration(rule) is None


def test_every_kind_of_the_shipped_catalog_has_a_registered_retention():
    from piwarden.catalog import selectors

    section, _ = selectors.collection_rules()
    registered = {r.activity for r in registry.retentions()}
    assert {kind["activity"] for kind in section["event_kinds"]} <= registered
    assert set(services.ACTIVITIES) <= registered


def test_expired_rows_are_removed_by_the_retention_task(person, grant):
    """Location is kept 30 days and access logs 12 months (the catalog): the task removes
    what is older, leaves the rest, audits each batch and queues its next run."""
    _stored(person, grant, ago=timedelta(days=31), n=3, kind="location")
    _stored(person, grant, ago=timedelta(days=29), n=2, kind="location")
    _stored(person, grant, ago=timedelta(days=370), n=4)
    _stored(person, grant, ago=timedelta(days=200), n=1)
    audits = AuditEvent.objects.filter(action="collection.expired").count()
    result = tasks.run_retention.call()
    assert result["collection.events.location.precise"] == 3
    assert result["collection.events.log.access"] == 4
    assert Event.objects.filter(kind="location").count() == 2
    assert Event.objects.filter(kind="page_view").count() == 1
    assert AuditEvent.objects.filter(action="collection.expired").count() == audits + 2
    queued = Job.objects.get(task_path=tasks.run_retention.module_path, status=JobStatus.READY)
    assert queued.run_after > timezone.now() + timedelta(minutes=59)
    tasks.run_retention.call()
    assert Job.objects.filter(task_path=tasks.run_retention.module_path).count() == 1


def test_runs_are_bounded_batches(person, grant):
    _stored(person, grant, ago=timedelta(days=400), n=5)
    assert retention.run(actor=ACTOR, batch=2, max_batches=1)["collection.events.log.access"] \
        == 2
    assert Event.objects.count() == 3
    assert retention.run(actor=ACTOR, batch=2)["collection.events.log.access"] == 3
    assert not Event.objects.exists()


def test_device_links_expire_after_twelve_months(person, make_subject):
    browser = make_subject()
    DeviceLink.objects.create(subject=person, device=browser,
                              last_seen=timezone.now() - timedelta(days=400))
    retention.run(actor=ACTOR)
    assert not DeviceLink.objects.exists()


def test_command_shows_what_is_due_and_runs_it(person, grant):
    _stored(person, grant, ago=timedelta(days=400), n=2)
    out = StringIO()
    call_command("retention", stdout=out)
    line = next(x for x in out.getvalue().splitlines() if x.startswith("collection.events.log"))
    assert "P12M" in line and line.rstrip().endswith(" 2")
    assert Event.objects.count() == 2
    call_command("retention", "--run", "--schedule", stdout=out)
    assert "expired 2 from collection.events.log.access" in out.getvalue()
    assert "retention task queued" in out.getvalue()
    assert not Event.objects.exists()


def test_not_time_based_retentions_are_skipped(monkeypatch):
    calls = []
    fake = registry.Retention(name="zz.test", activity="account.register",
                              due=lambda **kw: calls.append("due") or 0,
                              expire=lambda **kw: calls.append("expire") or 0)
    monkeypatch.setitem(registry._retentions, "zz.test", fake)
    row = next(r for r in retention.due() if r.name == "zz.test")
    assert row.cutoff is None and row.due is None
    assert "zz.test" not in retention.run(actor=ACTOR)
    assert calls == []


def test_ensure_scheduled_queues_one_run_only():
    assert tasks.ensure_scheduled() is True
    assert tasks.ensure_scheduled() is False
    assert Job.objects.filter(task_path=tasks.run_retention.module_path).count() == 1


def test_retention_counts_from_receipt_not_from_the_clients_clock(person, grant):
    """A batch sent late (an app that was offline) is kept its full period from receipt."""
    events = [event(subject=person, when=timezone.now() - timedelta(days=400), url="/")]
    assert services.ingest(actor=ACTOR, source="client:t", events=events).count("stored") == 1
    assert retention.run(actor=ACTOR)["collection.events.log.access"] == 0
    assert Event.objects.filter(subject=person).count() == 1
