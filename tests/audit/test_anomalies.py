"""Anomaly alerts from the audit trail (V-5.1b): bulk reads, off-hours reads, new networks."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from piwarden.alerts.models import Alert
from piwarden.audit import anomalies, services, tasks
from piwarden.audit.actors import Actor, ActorKind
from piwarden.audit.models import Outcome
from piwarden.subjects.models import Subject

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, 10:00 China time (a PRC working day).
MONDAY_10 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STAFF = Actor(ActorKind.STAFF, "7")
CLIENT = Actor(ActorKind.API_CLIENT, "12")


@pytest.fixture
def clock(monkeypatch):
    """Records are stamped with the time the test sets."""
    now = {"value": MONDAY_10}
    monkeypatch.setattr("piwarden.audit.services.timezone.now", lambda: now["value"])

    def set_to(when):
        now["value"] = when
    return set_to


@pytest.fixture
def people():
    """Subjects without the cost of creating each through its service."""
    def make(count):
        made = [Subject(id=uuid.uuid4(), kind="account_holder") for _ in range(count)]
        return Subject.objects.bulk_create(made)
    return make


def read(clock, when, who, actor=STAFF, action="partners.record_read", **kwargs):
    clock(when)
    with transaction.atomic():
        services.record(actor=actor, action=action, subjects=who, **kwargs)


def alerts(kind="staff.bulk_read"):
    return list(Alert.objects.filter(kind=kind))


def seconds(n):
    return MONDAY_10 + timedelta(seconds=n)


def test_v_5_1b_reading_501_people_in_a_minute_raises_an_alert(clock, people):
    """501 people handed to one staff member within 50 s: one high alert naming the staff
    member and the count, no PI; later reads in the same burst raise no second one."""
    crowd = people(520)
    for n in range(5):
        read(clock, seconds(n * 10), crowd[n * 100:(n + 1) * 100])
    read(clock, seconds(50), [], action="vault.value_revealed", subject=crowd[500])
    assert anomalies.scan()["bulk_read"] == 1
    [alert] = alerts()
    assert alert.severity == "high" and alert.source == "audit.anomalies"
    assert alert.detail["people"] == 501 and alert.detail["actor_id"] == "7"
    assert alert.objects_concerned == ["auth.user:7"]
    assert "501" in alert.summary and str(crowd[0].pk) not in str(alert.detail)
    read(clock, seconds(55), crowd[501:520])
    assert anomalies.scan()["bulk_read"] == 0
    assert len(alerts()) == 1


def test_v_5_1b_500_people_in_a_minute_raise_no_alert(clock, people):
    crowd = people(500)
    for n in range(5):
        read(clock, seconds(n * 10), crowd[n * 100:(n + 1) * 100])
    read(clock, seconds(45), crowd[:100])  # the same people again: still 500 distinct
    assert anomalies.scan()["bulk_read"] == 0
    assert alerts() == []


def test_v_5_1b_501_people_spread_over_61_seconds_raise_no_alert(clock, people):
    crowd = people(501)
    read(clock, seconds(0), crowd[:250])
    read(clock, seconds(61), crowd[250:])
    assert anomalies.scan()["bulk_read"] == 0
    assert alerts() == []


def test_v_5_1b_a_burst_across_a_minute_boundary_raises_an_alert(clock, people):
    """250 people at 10:00:50 and 251 at 10:01:10: neither minute alone holds the limit."""
    crowd = people(501)
    read(clock, seconds(50), crowd[:250])
    read(clock, seconds(70), crowd[250:])
    assert anomalies.scan()["bulk_read"] == 1


def test_v_5_1b_a_burst_split_between_two_scans_raises_an_alert(clock, people):
    crowd = people(501)
    read(clock, seconds(0), crowd[:300])
    assert anomalies.scan()["bulk_read"] == 0
    read(clock, seconds(30), crowd[300:])
    assert anomalies.scan()["bulk_read"] == 1
    assert alerts()[0].detail["people"] == 501


def test_v_5_1b_an_api_client_bulk_read_is_alerted_and_a_second_burst_too(clock, people):
    crowd = people(1002)
    read(clock, seconds(0), crowd[:501], actor=CLIENT)
    read(clock, seconds(600), crowd[501:], actor=CLIENT)
    assert anomalies.scan()["bulk_read"] == 2
    found = alerts("api_client.bulk_read")
    assert len(found) == 2 and found[0].objects_concerned == ["clients.apiclient:12"]


def test_v_5_1b_answers_without_pi_are_not_counted(clock, people, settings):
    """Consent decisions and other writes, refused reads and aggregate statistics name
    people but hand no PI to the reader; the limit is configurable."""
    settings.PIWARDEN_ANOMALY_PEOPLE_PER_MINUTE = 10
    crowd = people(11)
    read(clock, seconds(0), crowd, action="consent.decisions_answered")
    read(clock, seconds(1), crowd, action="consent.granted")
    read(clock, seconds(2), crowd, action="sharing.statistics_provided")
    read(clock, seconds(3), crowd, outcome=Outcome.DENIED)
    read(clock, seconds(4), crowd, actor=Actor.system("retention"))
    assert anomalies.scan()["bulk_read"] == 0
    read(clock, seconds(5), crowd, action="consent.history_read")
    assert anomalies.scan()["bulk_read"] == 1


def test_v_5_1b_staff_reading_pi_off_hours_is_alerted_once_a_day(clock, people):
    person = people(1)
    read(clock, MONDAY_10, person)  # 10:00 on a working day
    read(clock, MONDAY_10 + timedelta(hours=9, minutes=59), person)  # 19:59
    read(clock, MONDAY_10 + timedelta(hours=2), person, actor=CLIENT, action="x.y_read")
    assert anomalies.scan()["off_hours"] == 0
    read(clock, MONDAY_10 + timedelta(hours=12), person)  # 22:00
    read(clock, MONDAY_10 + timedelta(hours=13), person)  # 23:00, the same day
    read(clock, MONDAY_10 + timedelta(hours=12), person, actor=CLIENT)  # machines: no
    assert anomalies.scan()["off_hours"] == 1
    read(clock, MONDAY_10 + timedelta(hours=13, minutes=30), person)
    assert anomalies.scan()["off_hours"] == 0
    [alert] = alerts("staff.off_hours")
    assert alert.severity == "medium" and alert.detail["day"] == "2026-03-02"


def test_v_5_1b_staff_reading_pi_on_a_day_off_is_alerted(clock, people, settings):
    person = people(1)
    read(clock, MONDAY_10 + timedelta(days=5), person)  # Saturday 10:00
    read(clock, datetime(2026, 10, 1, 3, 0, tzinfo=UTC), person)  # National Day, 11:00
    assert anomalies.scan()["off_hours"] == 2
    settings.PIWARDEN_WORKING_HOURS = ""
    read(clock, datetime(2026, 10, 2, 3, 0, tzinfo=UTC), person)
    assert anomalies.scan()["off_hours"] == 0


def login(clock, when, network, actor=STAFF):
    clock(when)
    with transaction.atomic():
        services.record(actor=actor, action="staff.login", purpose="security",
                        detail={"ip": network})


def test_v_5_1b_a_staff_login_from_a_new_network_is_alerted(clock):
    login(clock, seconds(0), "10.0.1.0/24")  # the first login seeds the list
    login(clock, seconds(10), "10.0.1.0/24")
    assert anomalies.scan()["new_network"] == 0
    login(clock, seconds(20), "203.0.113.0/24")
    login(clock, seconds(30), "203.0.113.0/24")
    login(clock, seconds(40), "198.51.100.0/24", actor=Actor(ActorKind.STAFF, "8"))
    assert anomalies.scan()["new_network"] == 1
    [alert] = alerts("staff.new_network")
    assert alert.detail["network"] == "203.0.113.0/24" and alert.detail["actor_id"] == "7"


def test_a_scan_with_nothing_new_does_nothing(clock):
    anomalies.scan()
    assert anomalies.scan() == {"records": 0, "bulk_read": 0, "off_hours": 0,
                                "new_network": 0}


def test_the_scan_keeps_one_run_queued():
    assert tasks.ensure_scheduled() is True
    assert tasks.ensure_scheduled() is False


def test_v_5_1b_a_bulk_read_alert_is_mailed_to_the_security_officer(clock, people,
                                                                     django_user_model):
    from django.contrib.auth.models import Group

    from piwarden.alerts import notify
    from piwarden.roles import registry
    from piwarden.roles.services import sync_groups

    with transaction.atomic():
        sync_groups(actor=Actor.system("tests"))
    officer = django_user_model.objects.create_user(
        "officer", email="officer@example.com", is_staff=True)
    officer.groups.add(Group.objects.get(name=registry.get(registry.SECURITY_OFFICER)
                                         .group_name))
    django_user_model.objects.create_user("clerk", email="clerk@example.com", is_staff=True)
    read(clock, seconds(0), people(501))
    anomalies.scan()
    [alert] = alerts()
    assert notify.staff_members() == [officer]
    assert notify.mail_staff(alert) == 1


def test_v_5_1b_a_midweek_scan_with_no_day_off_in_reach_works(clock, people):
    """A scan whose span holds no day off (Tuesday to Thursday) still runs (no empty IN ())."""
    wednesday_10 = MONDAY_10 + timedelta(days=2)
    person = people(1)
    read(clock, wednesday_10, person)
    assert anomalies.scan()["off_hours"] == 0
    read(clock, wednesday_10 + timedelta(hours=12), person)  # 22:00
    assert anomalies.scan()["off_hours"] == 1
