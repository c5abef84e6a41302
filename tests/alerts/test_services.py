"""The one alert model: raised in the caller's transaction, audited, mailed to the staff who
may see alerts after the commit, and moved open → acknowledged → resolved by staff."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import transaction

from piwarden.alerts import services, subject_data, tasks
from piwarden.alerts.models import Alert, AlertStatus
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.outbox.models import Message
from tests.staff import staff_client

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


def raise_one(**overrides) -> Alert:
    arguments = {"kind": "egress.refused", "severity": "high", "source": "tests.job",
                 "summary": "Egress refused: http to 127.0.0.2.", "detail": {"host": "127.0.0.2"}}
    with transaction.atomic():
        return services.raise_alert(**{**arguments, **overrides})


def user(name: str, *, perm: bool = True, **fields):
    account = get_user_model().objects.create_user(
        name, fields.pop("email", f"{name}@operator.example"), "x",
        is_staff=fields.pop("is_staff", True), **fields)
    if perm:
        account.user_permissions.add(Permission.objects.get(codename="view_alert"))
    return account


@pytest.fixture
def mail_through_egress(settings):
    settings.EMAIL_BACKEND = "piwarden.sharing.egress.EmailBackend"
    settings.PIWARDEN_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    mail.outbox = []


def test_z_2_alert_names_the_people_and_objects_concerned_and_is_audited(person):
    alert = raise_one(subjects=[person, person], objects=[person, "sharing.flow:7"])
    assert list(alert.subjects.all()) == [person]
    assert alert.objects_concerned == [f"subjects.subject:{person.pk}", "sharing.flow:7"]
    record = AuditEvent.objects.get(action="alerts.raised")
    assert (record.subject_id, record.object_id, record.actor_id) == (
        person.pk, str(alert.pk), "tests.job")
    assert record.detail == {"kind": "egress.refused", "severity": "high", "subjects": 1}


def test_z_2_alert_rolls_back_with_the_action_that_raised_it():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.raise_alert(kind="egress.refused", severity="high", source="tests",
                             summary="Refused.")
        raise RuntimeError("the caller fails after raising it")
    assert not Alert.objects.exists()


@pytest.mark.parametrize("overrides", [{"kind": "Egress"}, {"severity": "urgent"},
                                       {"summary": " "}, {"summary": "x" * 301}])
def test_z_2_malformed_alert_is_refused(overrides):
    with pytest.raises(services.AlertError):
        raise_one(**overrides)


def test_z_2_staff_who_may_see_alerts_are_mailed_after_the_commit(
        mail_through_egress, django_capture_on_commit_callbacks):
    """Active staff holding alerts.view_alert (or superusers) with an address get one mail
    each, through the outbox and egress control as staff; nobody else does, and nothing
    before the commit. The alert's commit queues the task that queues the mail in the outbox,
    whose commit queues the delivery (all run at once here: the immediate task backend)."""
    officer, root = user("officer"), user("root", perm=False, is_superuser=True)
    user("clerk", perm=False)
    user("gone", is_active=False)
    user("nomail", email="")
    user("outsider", is_staff=False)
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_one()
        assert mail.outbox == [] and not Message.objects.exists()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "officer@operator.example", "root@operator.example"]
    for message in mail.outbox:
        assert len(message.to) == 1
        assert message.subject == "[piwarden] High alert: egress.refused"
        assert alert.summary in message.body
        assert f"/admin/alerts/alert/{alert.pk}/" in message.body
    assert set(Message.objects.values_list("idempotency_key", "status")) == {
        (f"alerts.{alert.pk}.{officer.pk}", "sent"), (f"alerts.{alert.pk}.{root.pk}", "sent")}
    assert not Alert.objects.exclude(pk=alert.pk).exists()  # no egress refusal
    with django_capture_on_commit_callbacks(execute=True):
        tasks.notify_staff.call(alert.pk)  # the task run again (a retry) sends nothing twice
    assert len(mail.outbox) == 2


def test_z_2_alert_lifecycle_is_audited():
    alert = raise_one()
    officer, clerk = user("officer"), user("clerk", perm=False)
    services.acknowledge(actor=SYSTEM, alert=alert)
    with pytest.raises(services.AlertError) as again:
        services.acknowledge(actor=SYSTEM, alert=alert)
    assert again.value.status == 409
    services.assign(actor=SYSTEM, alert=alert, assignee=officer)
    with pytest.raises(services.AlertError) as unfit:
        services.assign(actor=SYSTEM, alert=alert, assignee=clerk)
    assert unfit.value.code == "ASSIGNEE_INVALID"
    services.resolve(actor=SYSTEM, alert=alert)
    for change in (services.resolve, services.acknowledge):
        with pytest.raises(services.AlertError):
            change(actor=SYSTEM, alert=alert)
    with pytest.raises(services.AlertError):
        services.assign(actor=SYSTEM, alert=alert, assignee=None)
    alert.refresh_from_db()
    assert (alert.status, alert.assignee) == (AlertStatus.RESOLVED, officer)
    assert list(AuditEvent.objects.filter(object_type="alerts.alert").values_list(
        "action", flat=True)) == ["alerts.raised", "alerts.acknowledged", "alerts.assigned",
                                  "alerts.resolved"]


def test_z_2_console_lists_filters_and_acts_through_the_services():
    raise_one()
    raise_one(kind="outbox.delivery_failed", severity="medium", summary="Delivery given up.")
    client = staff_client("alerts", "view_alert", "change_alert", name="officer")
    page = client.get("/admin/alerts/alert/?severity__exact=high&status__exact=open")
    assert page.status_code == 200
    assert b"127.0.0.2" in page.content and b"Delivery given up" not in page.content
    high = Alert.objects.get(severity="high")
    client.post("/admin/alerts/alert/", {"action": "acknowledge", "_selected_action": [high.pk]})
    client.post("/admin/alerts/alert/", {"action": "assign_to_me",
                                         "_selected_action": [high.pk]})
    high.refresh_from_db()
    assert (high.status, high.assignee) == (AlertStatus.ACKNOWLEDGED, client.user)
    record = AuditEvent.objects.get(action="alerts.acknowledged")
    assert (record.actor_kind, record.actor_id) == ("staff", str(client.user.pk))
    detail = client.get(f"/admin/alerts/alert/{high.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.get("/admin/alerts/alert/add/").status_code == 403


def test_alerts_concerning_a_person_are_exported_and_kept_on_erasure(person):
    raise_one(subjects=[person])
    assert [row["kind"] for row in subject_data.export(person)["alerts"]] == ["egress.refused"]
    erased = subject_data.erase(actor=SYSTEM, subject=person, categories=None)
    assert [kept.legal_basis for kept in erased.kept] == ["legal_obligation"]
