"""Every background task may run twice: a worker killed after the task's work but before its
job was marked done leaves the job to run again once the lease passes. Each ``@task`` in src is
run twice here, as that re-run would (its after-commit hooks executed each time), and the
second run must add nothing: no audit record, e-mail, outbox message, webhook POST, alert,
queued job or row beyond what the first run made.

The tasks (``grep -rn "@task" src``): collection.run_retention, rights.deadline_notices,
rights.execute_cancellation, audit.run_chain_check, outbox.deliver_message, outbox.sweep,
alerts.notify_staff, consent.run_due_erasures, subjectdata.build_export_task,
subjectdata.run_erasure_task, subjectdata.expire_exports_task, sharing.delivery.push_provision,
sharing.daily_checks, jobs.ping, jobs.prune, notify.run_campaign, notify.deliver_chunk,
notify.sync_campaign, incidents.run_checks, sites.run_due, sites.clean_up,
publication.run_sweep, transfers.remind, roles.maintain, audit.scan_anomalies,
discovery.screen_events. ``test_every_task_in_src_is_covered`` keeps the list whole.
"""

import datetime
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import transaction
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, ChainCheck
from piwarden.jobs.models import Job, JobStatus
from piwarden.outbox.models import Message
from tests.outbox.conftest import open_egress  # noqa: F401  (fixture)
from tests.publication.conftest import signal_missed  # noqa: F401  (fixture)
from tests.receiver import Receiver
from tests.rights.conftest import account, rights_settings, sign_up  # noqa: F401  (fixtures)
from tests.sharing.conftest import (  # noqa: F401  (fixtures)
    _sharing_dir,
    activate,
    named_catalog,
    person_with,
    registry_synced,
)

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")
REPO = Path(__file__).resolve().parents[2]
COVERED = {
    "piwarden.collection.tasks.run_retention", "piwarden.rights.tasks.deadline_notices",
    "piwarden.rights.tasks.execute_cancellation", "piwarden.audit.tasks.run_chain_check",
    "piwarden.outbox.tasks.deliver_message", "piwarden.outbox.tasks.sweep",
    "piwarden.alerts.tasks.notify_staff", "piwarden.consent.tasks.run_due_erasures",
    "piwarden.subjectdata.tasks.build_export_task", "piwarden.subjectdata.tasks.run_erasure_task",
    "piwarden.subjectdata.tasks.expire_exports_task", "piwarden.sharing.delivery.push_provision",
    "piwarden.sharing.tasks.daily_checks", "piwarden.jobs.tasks.ping",
    "piwarden.jobs.tasks.prune", "piwarden.notify.tasks.run_campaign",
    "piwarden.notify.tasks.deliver_chunk", "piwarden.notify.tasks.sync_campaign",
    "piwarden.incidents.tasks.run_checks", "piwarden.sites.tasks.run_due",
    "piwarden.sites.tasks.clean_up", "piwarden.publication.tasks.run_sweep",
    "piwarden.transfers.tasks.remind", "piwarden.roles.tasks.maintain",
    "piwarden.audit.tasks.scan_anomalies", "piwarden.discovery.tasks.screen_events",
}


def effects() -> dict:
    """Everything a task run can leave behind that a second run must not add to."""
    return {"audit": AuditEvent.objects.count(), "mails": len(mail.outbox),
            "outbox": Message.objects.count(), "alerts": Alert.objects.count(),
            "queued": Job.objects.filter(status=JobStatus.READY).count()}


@pytest.fixture
def twice(django_capture_on_commit_callbacks):
    """``twice(call)``: run it, then again; the second run must change nothing. Returns both
    results and the effects after the first run (compare them with those before)."""
    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            first = call()
        after_first = effects()
        with django_capture_on_commit_callbacks(execute=True):
            second = call()
        assert effects() == after_first
        return first, second, after_first
    return run


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


def staff(codename: str, app_label: str, name: str):
    user = get_user_model().objects.create_user(name, f"{name}@operator.example", "x",
                                                is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=codename,
                                                     content_type__app_label=app_label))
    return user


def test_every_task_in_src_is_covered():
    """A new ``@task`` needs its re-run test here."""
    found = set()
    lines = subprocess.run(["grep", "-rn", "-A1", "@task", str(REPO / "src")],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for line in lines:
        match = re.match(r".*/src/(piwarden/.+)\.py-\d+-def (\w+)\(", line)
        if match:
            found.add(match.group(1).replace("/", ".") + "." + match.group(2))
    assert found == COVERED


def test_retention_run_twice_expires_and_schedules_once(person, fresh_caches, twice):
    from piwarden.collection import services, tasks
    from piwarden.collection.models import Event
    from tests.collection.conftest import event

    old = timezone.now() - datetime.timedelta(days=400)
    events = [event(subject=person, when=old, url="/") for _ in range(3)]
    services.ingest(actor=SYSTEM, source="client:t", events=events)
    Event.objects.filter(event_id__in=[e["event_id"] for e in events]).update(received_at=old)
    Job.objects.filter(task_path=tasks.run_retention.module_path).delete()
    before = effects()
    first, second, after = twice(tasks.run_retention.call)
    assert first["collection.events.log.access"] == 3
    assert second["collection.events.log.access"] == 0
    assert after["audit"] > before["audit"] and after["queued"] == before["queued"] + 1


def test_deadline_notices_twice_remind_and_mail_staff_once(make_subject, twice):
    from piwarden.rights import services, tasks

    staff("change_rightsrequest", "rights", "handler")
    with transaction.atomic():
        req = services.submit(actor=SYSTEM, subject=make_subject("lead"), type="explanation",
                              channel="privacy_center", text="Why do you keep my number?")
    type(req).objects.filter(pk=req.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=1))
    before = effects()
    first, second, after = twice(tasks.deadline_notices.call)
    assert first == {"reminded": 0, "escalated": 1} and second == {"reminded": 0, "escalated": 0}
    assert after["mails"] + after["outbox"] > before["mails"] + before["outbox"]


def test_cancellation_twice_starts_one_erasure(request, twice):
    holder = request.getfixturevalue("account")
    from piwarden.rights import services, tasks
    from piwarden.subjectdata.models import ErasureRun

    with transaction.atomic():
        req = services.submit(actor=Actor.person(holder.subject), subject=holder.subject,
                              type="cancellation", channel="privacy_center", verified=True)
    assert req.cooling_off_until
    type(req).objects.filter(pk=req.pk).update(cooling_off_until=timezone.now())
    first, second, _ = twice(lambda: tasks.execute_cancellation.call(str(req.pk)))
    assert first is True and second is True  # the second finds it started and does nothing
    assert ErasureRun.objects.filter(subject=holder.subject).count() == 1
    assert AuditEvent.objects.filter(action="rights.cancellation_started").count() == 1


def test_chain_check_twice_keeps_one_check_row(twice):
    from piwarden.audit import services, tasks

    check = services.request_check(actor=SYSTEM)
    rows = ChainCheck.objects.count()
    twice(lambda: tasks.run_chain_check.call(check.pk))
    check.refresh_from_db()
    assert check.ok is True and ChainCheck.objects.count() == rows


def _message(receiver):
    from piwarden.outbox import services
    from piwarden.sharing.models import Counterparty

    with transaction.atomic():  # committed without its after-commit hook: nothing sent yet
        return services.enqueue(
            actor=SYSTEM, destination=receiver.url("/hook"), payload={"type": "test"},
            concerns=Counterparty.objects.get(recipient="partner.business"))


@pytest.mark.usefixtures("open_egress")
def test_deliver_message_twice_posts_once(receiver, twice):
    from piwarden.outbox import tasks

    message = _message(receiver)
    first, second, _ = twice(lambda: tasks.deliver_message.call(str(message.pk)))
    assert first == second == "sent" and len(receiver.received) == 1


@pytest.mark.usefixtures("open_egress")
def test_sweep_twice_posts_once_and_keeps_one_sweep_queued(receiver, twice):
    from piwarden.outbox import tasks

    _message(receiver)
    Job.objects.filter(task_path=tasks.sweep.module_path).delete()
    first, second, _ = twice(tasks.sweep.call)
    assert (first, second, len(receiver.received)) == (1, 0, 1)
    assert Job.objects.filter(task_path=tasks.sweep.module_path,
                              status=JobStatus.READY).count() == 1


def test_notify_staff_twice_mails_each_staff_member_once(twice):
    from piwarden.alerts import services, tasks

    staff("view_alert", "alerts", "officer")
    with transaction.atomic():
        alert = services.raise_alert(kind="tests.checked", severity="low", source="tests",
                                     summary="Nothing happened.")
    before = effects()
    twice(lambda: tasks.notify_staff.call(alert.pk))
    after = effects()
    assert after["mails"] + after["outbox"] == before["mails"] + before["outbox"] + 1


def test_due_erasures_twice_erase_once(make_subject, fresh_caches, twice):
    from piwarden.consent import services as consent
    from piwarden.consent import tasks
    from piwarden.consent.models import ErasureStatus, ScheduledErasure

    lead = make_subject("lead")
    for record in (consent.grant, consent.withdraw):
        record(actor=Actor.person(lead), subject=lead, purpose="lead.callback",
               notice_text="We call you back.", channel="web")
    ScheduledErasure.objects.filter(subject=lead).update(due_at=timezone.now())
    first, second, _ = twice(tasks.run_due_erasures.call)
    assert first >= 1 and second == 0
    assert ScheduledErasure.objects.get(subject=lead).status == ErasureStatus.DONE
    assert AuditEvent.objects.filter(action="consent.withdrawal_erasure_done",
                                     subject=lead).count() == 1


def test_export_build_twice_builds_one_archive(request, twice):
    new_person = request.getfixturevalue("person_with")
    from piwarden.subjectdata import services, tasks

    person = new_person(name="王小明", email="wang@example.cn")
    archive = services.start_export(actor=SYSTEM, subject=person)
    first, second, _ = twice(lambda: tasks.build_export_task.call(str(archive.pk)))
    assert first == second == "ready"
    assert AuditEvent.objects.filter(action="subjectdata.export_built",
                                     object_id=str(archive.pk)).count() == 1


def test_erasure_run_twice_erases_each_source_once(request, twice):
    new_person = request.getfixturevalue("person_with")
    from piwarden.subjectdata import services, tasks

    person = new_person(name="王小明", phone="13912345678")
    run = services.start_erasure(actor=SYSTEM, subject=person, categories=None,
                                 reason="deletion request")
    first, second, _ = twice(lambda: tasks.run_erasure_task.call(str(run.pk)))
    assert first == second == "done"
    assert AuditEvent.objects.filter(action="subjectdata.erasure_done",
                                     object_id=str(run.pk)).count() == 1
    sources = list(AuditEvent.objects.filter(action="subjectdata.source_erased",
                                             object_id=str(run.pk))
                   .values_list("detail__source", flat=True))
    assert len(sources) == len(set(sources)) > 0


def test_export_expiry_twice_expires_once(request, twice):
    new_person = request.getfixturevalue("person_with")
    from piwarden.subjectdata import services, tasks
    from piwarden.subjectdata.models import ExportArchive

    archive = services.start_export(actor=SYSTEM, subject=new_person(name="王小明"))
    services.build_export(archive_id=archive.pk)
    ExportArchive.objects.filter(pk=archive.pk).update(expires_at=timezone.now())
    first, second, _ = twice(tasks.expire_exports_task.call)
    assert (first, second) == (1, 0)


def test_push_twice_delivers_the_package_once(request, twice):
    flow_of, new_person = (request.getfixturevalue(name) for name in ("activate", "person_with"))
    from piwarden.sharing import delivery, services

    with Receiver("127.0.0.1") as endpoint:
        flow = flow_of("sharing.processors", "partner.business", method="push",
                        endpoint=endpoint.url("/packages"), categories=["user.name"])
        provision, _ = services.provide(actor=SYSTEM, flow=flow,
                                        subject_ids=[new_person(name="黄二").pk])
        first, second, _ = twice(lambda: delivery.push_provision.call(str(provision.pk)))
        assert first == second == "delivered" and len(endpoint.received) == 1


def test_daily_checks_twice_forward_a_missed_erasure_once(request, receiver, twice):
    """The erasure's after-commit forwarding never ran: the daily job forwards it, once."""
    flow_of, new_person = (request.getfixturevalue(name) for name in ("activate", "person_with"))
    from piwarden.sharing import propagation, services, tasks
    from piwarden.sharing.models import Counterparty, DeletionRequest
    from piwarden.subjectdata import services as subjectdata

    propagation.connect()
    flow = flow_of("sharing.processors", "partner.business")
    services.set_deletion_endpoint(
        actor=SYSTEM, counterparty=Counterparty.objects.get(recipient="partner.business"),
        endpoint=receiver.url("/deletions"))
    person = new_person(name="王小明", email="wang@example.cn")
    services.provide(actor=SYSTEM, flow=flow, subject_ids=[person.pk])
    run = subjectdata.start_erasure(actor=SYSTEM, subject=person, reason="request",
                                    categories=None)
    subjectdata.run_erasure(run_id=run.pk)
    assert not DeletionRequest.objects.exists()
    Job.objects.filter(task_path=tasks.daily_checks.module_path).delete()
    first, second, _ = twice(tasks.daily_checks.call)
    assert first["forwarded"] == 1 and second["forwarded"] == 0
    assert DeletionRequest.objects.filter(erasure_run=run.pk).count() == 1


def test_ping_twice_changes_nothing(twice):
    from piwarden.jobs import tasks

    assert twice(tasks.ping.call)[:2] == ("pong", "pong")


def test_prune_twice_deletes_once_and_keeps_one_run_queued(twice):
    from piwarden.jobs import tasks

    old = timezone.now() - datetime.timedelta(days=30)
    Job.objects.create(task_path=tasks.ping.module_path, status=JobStatus.SUCCEEDED,
                       finished_at=old)
    first, second, _ = twice(tasks.prune.call)
    assert (first, second) == (1, 0)
    assert Job.objects.filter(task_path=tasks.prune.module_path,
                              status=JobStatus.READY).count() == 1


def _campaign_of(people):
    from piwarden.notify import services
    from tests.notify.conftest import FIELDS

    actor = Actor.staff(get_user_model().objects.create_user("notify-staff", is_staff=True))
    with transaction.atomic():
        campaign = services.create_campaign(
            actor=actor, kind="other", template="notify.general", fields=FIELDS,
            audience="subjects.listed", audience_params={"subject_ids": [str(p.pk) for p in
                                                                         people]},
            channels=["email", "site"], title="A notice")
    return actor, campaign


def test_notify_tasks_twice_hand_out_one_notice_per_person(make_subject, twice,
                                                           django_capture_on_commit_callbacks):
    """A campaign's job, its chunk delivery and its sync run again (a retried job, a worker
    killed mid-run) send nobody a second notice."""
    from piwarden.notify import services, tasks
    from piwarden.notify.models import Delivery

    people = [make_subject(kind="account_holder") for _ in range(3)]
    actor, campaign = _campaign_of(people)
    with django_capture_on_commit_callbacks(execute=False):
        services.start(actor=actor, campaign=campaign)
    Job.objects.filter(task_path=tasks.run_campaign.module_path).delete()
    first, second, _ = twice(lambda: tasks.run_campaign.call(str(campaign.pk)))
    assert (first, second) == (3, 0)
    assert Delivery.objects.filter(campaign=campaign).count() == 3
    ids = [str(pk) for pk in Message.objects.values_list("pk", flat=True)]
    twice(lambda: tasks.deliver_chunk.call(str(campaign.pk), ids))
    twice(lambda: tasks.sync_campaign.call(str(campaign.pk)))
    assert Delivery.objects.filter(campaign=campaign).count() == 3


def test_incident_checks_twice_escalate_once(twice):
    """A missed reporting deadline raises one escalation however often the check runs."""
    from piwarden.incidents import services, tasks
    from piwarden.incidents.models import Drill

    with transaction.atomic():
        services.create_incident(
            actor=SYSTEM, title="Key leaked", severity="serious", principal_kind="api_client",
            principal_id="1", detected_at=timezone.now() - datetime.timedelta(days=2),
            occurred_from=timezone.now() - datetime.timedelta(days=3),
            occurred_to=timezone.now() - datetime.timedelta(days=2))
        Drill.objects.create(held_on=timezone.localdate(), scenario="tabletop", participants=5,
                             recorded_by="tests")
    Job.objects.filter(task_path=tasks.run_checks.module_path).delete()
    before = effects()
    first, second, after = twice(tasks.run_checks.call)
    assert first["report_overdue"] == 1 and second["report_overdue"] == 0
    assert after["alerts"] == before["alerts"] + sum(first.values()), first
    # the next check, once, and each alert's mail to staff
    assert after["queued"] == before["queued"] + 1 + sum(first.values())


def test_sites_tasks_twice_end_a_service_and_clean_it_up_once(twice):
    """Ending a service and its clean-up run again change nothing more."""
    from piwarden.sites import services, tasks
    from tests.sites.conftest import in_days, offering, past_end

    with transaction.atomic():
        item = services.sunset(actor=SYSTEM, offering=offering("surveys"), end_date=in_days(16))
    past_end(item)
    Job.objects.filter(task_path=tasks.run_due.module_path).delete()
    first, second, _ = twice(tasks.run_due.call)
    assert first["ended"] == [item.pk] and second["ended"] == []
    first, second, _ = twice(lambda: tasks.clean_up.call(item.pk))
    assert first == second


def test_publication_sweep_twice_takes_an_item_down_once(person, signal_missed, twice):  # noqa: F811
    """A withdrawn story the signal missed is taken down by the first run only."""
    from piwarden.consent.models import Choice
    from piwarden.publication import services, tasks
    from tests.publication.conftest import choose

    editor = Actor.staff(staff("change_publisheditem", "publication", "editor"))
    item = services.request_consent(actor=editor, item=services.create_item(
        actor=editor, subject=person, kind="testimonial", title_zh="评价",
        title_en="Testimonial", body_zh="很好。", body_en="Great."))
    choose(item)
    published = services.publish(actor=editor, item=item)
    choose(published, Choice.WITHDRAW)
    Job.objects.filter(task_path=tasks.run_sweep.module_path).delete()
    first, second, _ = twice(tasks.run_sweep.call)
    assert first["taken_down"] == 1 and second["taken_down"] == 0


def test_transfers_remind_twice_alerts_once(registry_synced, twice):  # noqa: F811
    """A mechanism about to expire is reminded of once per date."""
    from piwarden.sharing.models import Flow
    from piwarden.transfers import services, tasks

    flow = Flow.objects.get(activity="sharing.processors", recipient="processor.data_storage")
    with transaction.atomic():
        services.create_record(
            actor=SYSTEM, flow=flow, mechanism="certification", reference="CERT-1",
            important_data="none", effective_on=timezone.localdate(),
            valid_until=timezone.localdate() + datetime.timedelta(days=10),
            notice_zh="行使权利", notice_en="Exercise rights")
    Job.objects.filter(task_path=tasks.remind.module_path).delete()
    before = effects()
    first, second, after = twice(tasks.remind.call)
    assert (first, second) == (1, 0)
    assert after["alerts"] == before["alerts"] + 1


def test_roles_maintain_twice_ends_reminds_and_opens_the_review_once(twice):
    """An expired grant ends, an expiring one is reminded of, the review opens: once each."""
    from piwarden.roles import registry, tasks
    from piwarden.roles.models import Grant
    from tests.roles.factories import grant_role, staff_user

    expired = grant_role(staff_user("old"), registry.LEGAL)
    expiring = grant_role(staff_user("soon"), registry.SECURITY_OFFICER)
    now = timezone.now()
    Grant.objects.filter(pk=expired.pk).update(expires_at=now - datetime.timedelta(minutes=1))
    Grant.objects.filter(pk=expiring.pk).update(expires_at=now + datetime.timedelta(days=3))
    Job.objects.filter(task_path=tasks.maintain.module_path).delete()
    before = effects()
    first, second, after = twice(tasks.maintain.call)
    assert (first["expired"], first["reminded"], first["review_opened"]) == (1, 1, True)
    assert (second["expired"], second["reminded"], second["review_opened"]) == (0, 0, False)
    assert after["alerts"] == before["alerts"] + 1  # the reminder


def test_anomaly_scan_twice_alerts_once(twice):
    """A bulk read is alerted by the first scan only."""
    import uuid

    from piwarden.audit import services as audit
    from piwarden.audit import tasks
    from piwarden.audit.actors import ActorKind
    from piwarden.subjects.models import Subject

    people = Subject.objects.bulk_create(
        Subject(id=uuid.uuid4(), kind="account_holder") for _ in range(501))
    with transaction.atomic():
        audit.record(actor=Actor(ActorKind.API_CLIENT, "9"), action="partners.record_read",
                     subjects=people)
    Job.objects.filter(task_path=tasks.scan_anomalies.module_path).delete()
    before = effects()
    first, second, after = twice(tasks.scan_anomalies.call)
    assert first["bulk_read"] == 1 and second.get("bulk_read", 0) == 0
    assert after["alerts"] == before["alerts"] + 1


def test_event_scan_twice_redacts_and_alerts_once(person, twice):
    """A planted e-mail in a stored event: the first run redacts and alerts, the second starts
    after the first one's cursor and finds nothing."""
    from piwarden.collection.models import Event
    from piwarden.discovery import tasks

    ago = timezone.now() - datetime.timedelta(hours=1)
    Event.objects.create(source="tests", event_id="e1", subject=person, kind="page_view",
                         activity="log.access", occurred_at=ago, received_at=ago,
                         url="https://www.example.cn/?to=zhang.san@example.com")
    before = effects()
    first, second, after = twice(tasks.screen_events.call)
    assert first["found"] == {"email": 1} and second["rows"] == 0
    assert after["alerts"] == before["alerts"] + 1
