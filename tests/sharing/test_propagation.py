"""Deletions forwarded to the recipients that received a person's data: on erasure (R-6.3)
and on withdrawal of a consent given for one recipient (C-2.5.7), through the outbox to a
real local HTTP server; confirmations amend the deletion certificate; overdue ones alert."""

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.models import AuditEvent
from piwarden.clients import services as clients
from piwarden.consent import services as consent
from piwarden.consent.models import Channel
from piwarden.outbox.models import Message, MessageStatus
from piwarden.partners import services as partners
from piwarden.sharing import propagation, services, tasks
from piwarden.sharing.admin_deletions import DeletionRequestAdmin
from piwarden.sharing.models import (
    Counterparty,
    DeletionRequest,
    Disclosure,
    ForwardReason,
    ForwardStatus,
)
from piwarden.subjectdata import services as subjectdata
from tests.receiver import Receiver
from tests.verified import verified_client

pytestmark = pytest.mark.django_db

PROCESSORS = ("sharing.processors", "partner.business")
AFFILIATES = ("sharing.affiliates", "affiliate.intron_group")
PI = ("王小明", "wang@example.cn", "13912345678")


@pytest.fixture(autouse=True)
def _propagation_connected(settings):
    """What SharingConfig.ready() does; the outbox sends as soon as a message is queued."""
    propagation.connect()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def endpoints(receiver, system_actor):
    """Each counterparty posts deletions to its own path on the local server."""
    def set_endpoint(recipient, path):
        services.set_deletion_endpoint(
            actor=system_actor, counterparty=Counterparty.objects.get(recipient=recipient),
            endpoint=receiver.url(path))
    return set_endpoint


def grant_recipient(system_actor, subject, purpose, recipient, choice="grant"):
    return consent.record(actor=system_actor, subject=subject, purpose=purpose, choice=choice,
                          scope="separate.third_party", recipient=recipient,
                          notice_text=f"Provide my name and contact to {recipient}.",
                          channel=Channel.WEB)


def provide(system_actor, flow, person):
    provision, _token = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk])
    assert provision.provided == 1


@pytest.fixture
def shared_twice(activate, person_with, system_actor, endpoints):
    """A person whose data went to a processor and to an affiliate (with her consent)."""
    processors, affiliates = activate(*PROCESSORS), activate(*AFFILIATES)
    endpoints("partner.business", "/partner/deletions")
    endpoints("affiliate.intron_group", "/affiliate/deletions")
    person = person_with(name=PI[0], email=PI[1], phone=PI[2])
    grant_recipient(system_actor, person, *AFFILIATES)
    provide(system_actor, processors, person)
    provide(system_actor, affiliates, person)
    return person


def erase(system_actor, person, capture, categories=None):
    with capture(execute=True):
        run = subjectdata.start_erasure(actor=system_actor, subject=person, reason="request",
                                        categories=categories)
        subjectdata.run_erasure(run_id=run.pk)
    run.refresh_from_db()
    return run


def recipient_client(system_actor, recipient):
    """A Django test client holding the recipient's ``sharing:confirm`` API key."""
    api_client, key = clients.create_client(actor=system_actor, name=f"{recipient}-{uuid.uuid4()}",
                                            scopes=["sharing:confirm"])
    partners.link_client(actor=system_actor, client=api_client,
                         counterparty=Counterparty.objects.get(recipient=recipient))
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def confirm_url(request):
    return f"/api/v1/sharing/deletions/{request.pk}/confirm"


def certificate_page(run, lang):
    """The certificate page as the person sees it (a verified session; her account is gone)."""
    response = verified_client(run.subject, lang).get(run.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_r_6_3_deletion_reaches_the_recipients(shared_twice, receiver, system_actor,
                                               django_capture_on_commit_callbacks):
    """Erasing a person asks each recipient the register names to delete: each endpoint gets
    a request with the person's pseudonym there and no PI. The certificate, issued at once,
    lists both as asked; a recipient's confirmation amends it."""
    person = shared_twice
    run = erase(system_actor, person, django_capture_on_commit_callbacks)
    requests = {r.recipient: r for r in DeletionRequest.objects.filter(erasure_run=run.pk)}
    assert set(requests) == {"partner.business", "affiliate.intron_group"}
    by_path = {received.path: received for received in receiver.received}
    assert set(by_path) == {"/partner/deletions", "/affiliate/deletions"}
    for recipient, path in (("partner.business", "/partner/deletions"),
                            ("affiliate.intron_group", "/affiliate/deletions")):
        received, request = by_path[path], requests[recipient]
        reference = Disclosure.objects.filter(subject=person, recipient=recipient).get().reference
        assert received.body == {
            "type": "deletion_request", "request_id": str(request.pk), "reference": reference,
            "reason": "deletion", "respond_by": request.due_at.isoformat()}
        assert reference == services.pseudonym(recipient, person.pk)
        assert not any(value.encode() in received.raw or value in received.raw.decode()
                       for value in (*PI, str(person.pk)))
        assert received.headers["idempotency-key"] == f"sharing.deletion_request.{request.pk}"
        assert request.status == ForwardStatus.ASKED
        assert request.due_at - request.asked_at == timedelta(days=15)
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}

    today = timezone.localdate().isoformat()
    listed = {item["recipient"]: item for item in run.certificate["recipients"]}
    assert {key: (item["asked_on"], item["confirmed_on"]) for key, item in listed.items()} == {
        "partner.business": (today, None), "affiliate.intron_group": (today, None)}
    page = certificate_page(run, "en")
    assert page.count(f"asked on {today}") == 2 and "Example Service Partner Co., Ltd." in page
    assert certificate_page(run, "zh-hans").count(f"已于 {today} 要求删除") == 2

    confirmed = recipient_client(system_actor, "partner.business").post(
        confirm_url(requests["partner.business"]), {"confirmation": "DEL-2026-001"},
        content_type="application/json")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    run.refresh_from_db()
    listed = {item["recipient"]: item for item in run.certificate["recipients"]}
    assert listed["partner.business"]["confirmed_on"] == today
    assert listed["affiliate.intron_group"]["confirmed_on"] is None
    assert f"confirmed on {today}" in certificate_page(run, "en")
    assert f"已于 {today} 确认删除" in certificate_page(run, "zh-hans")
    record = AuditEvent.objects.get(action="sharing.deletion_confirmed")
    assert (record.subject_id, record.actor_kind) == (person.pk, "api_client")
    assert record.detail == {"recipient": "partner.business", "reason": "deletion",
                             "late": False}


def test_a_recipient_confirms_only_its_own_requests(shared_twice, system_actor,
                                                    django_capture_on_commit_callbacks):
    run = erase(system_actor, shared_twice, django_capture_on_commit_callbacks)
    theirs = DeletionRequest.objects.get(erasure_run=run.pk, recipient="affiliate.intron_group")
    http = recipient_client(system_actor, "partner.business")
    other = http.post(confirm_url(theirs), {}, content_type="application/json")
    assert other.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ForwardStatus.ASKED
    _unlinked, key = clients.create_client(actor=system_actor, name="no-recipient",
                                                 scopes=["sharing:confirm"])
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
        confirm_url(theirs), {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "NOT_A_RECIPIENT_CLIENT"
    own = recipient_client(system_actor, "affiliate.intron_group")
    first = own.post(confirm_url(theirs), {}, content_type="application/json")
    again = own.post(confirm_url(theirs), {}, content_type="application/json")
    assert first.status_code == again.status_code == 200
    assert first.json()["confirmed_at"] == again.json()["confirmed_at"]
    assert AuditEvent.objects.filter(action="sharing.deletion_confirmed").count() == 1


def test_an_erasure_of_other_categories_is_not_forwarded(shared_twice, receiver, system_actor,
                                                         django_capture_on_commit_callbacks):
    run = erase(system_actor, shared_twice, django_capture_on_commit_callbacks,
                categories=["user.rights_request"])
    assert not DeletionRequest.objects.exists() and receiver.received == []
    assert "recipients" not in run.certificate


def test_c_2_5_7_withdrawal_reaches_the_recipient(
        activate, person_with, endpoints, receiver, system_actor,
        django_capture_on_commit_callbacks):
    """Withdrawing the consent given for one affiliate forwards a deletion request (with the
    person's pseudonym there) to that affiliate as soon as the withdrawal commits."""
    flow = activate(*AFFILIATES)
    endpoints("affiliate.intron_group", "/affiliate/deletions")
    person = person_with(name=PI[0], email=PI[1])
    never_provided = person_with(name="李雷")
    for subject in (person, never_provided):
        grant_recipient(system_actor, subject, *AFFILIATES)
    provide(system_actor, flow, person)
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = grant_recipient(system_actor, person, *AFFILIATES, choice="withdraw")
        grant_recipient(system_actor, never_provided, *AFFILIATES, choice="withdraw")
    request = DeletionRequest.objects.get()
    assert (request.subject_id, request.recipient, request.reason, request.erasure_run) == (
        person.pk, "affiliate.intron_group", ForwardReason.WITHDRAWAL, None)
    [received] = receiver.received
    assert received.body["reference"] == services.pseudonym("affiliate.intron_group",
                                                            person.pk)
    assert received.body["reason"] == "withdrawal"
    assert not any(value in received.raw.decode() for value in PI)
    forwarded = AuditEvent.objects.get(action="sharing.deletion_forwarded")
    assert forwarded.subject_id == person.pk and forwarded.detail["by"] == "webhook"
    assert forwarded.actor_id == withdrawal.actor_id
    grant_recipient(system_actor, person, *AFFILIATES, choice="withdraw")
    assert DeletionRequest.objects.count() == 1  # the first is still open: not repeated


def test_c_2_5_7_a_purpose_withdrawal_reaches_its_processors(
        activate, person_with, endpoints, receiver, system_actor,
        django_capture_on_commit_callbacks):
    """A consent to the purpose itself (no recipient) ends: every recipient that received the
    person's data for that purpose is asked, each once."""
    flow = activate(*PROCESSORS)
    endpoints("partner.business", "/partner/deletions")
    person = person_with(name=PI[0], email=PI[1])
    provide(system_actor, flow, person)
    purpose = Disclosure.objects.get().purpose
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        [request] = propagation.forward_withdrawal(actor=system_actor, subject=person,
                                                   purpose=purpose)
    assert (request.recipient, request.reason) == ("partner.business", "withdrawal")
    assert [r.body["request_id"] for r in receiver.received] == [str(request.pk)]
    assert propagation.forward_withdrawal(actor=system_actor, subject=person,
                                          purpose=purpose) == [request]
    assert propagation.forward_withdrawal(actor=system_actor, subject=person,
                                          purpose="marketing.sms") == []


def test_a_withdrawal_rolled_back_forwards_nothing(activate, person_with, endpoints, receiver,
                                                   system_actor,
                                                   django_capture_on_commit_callbacks):
    flow = activate(*AFFILIATES)
    endpoints("affiliate.intron_group", "/affiliate/deletions")
    person = person_with(name=PI[0])
    grant_recipient(system_actor, person, *AFFILIATES)
    provide(system_actor, flow, person)

    class Undo(Exception):
        pass

    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(Undo),
          transaction.atomic()):
        grant_recipient(system_actor, person, *AFFILIATES, choice="withdraw")
        raise Undo
    assert not DeletionRequest.objects.exists() and receiver.received == []


def test_without_an_endpoint_staff_forward_and_confirm_by_hand(
        activate, person_with, system_actor, rf, django_capture_on_commit_callbacks):
    """No deletion endpoint: the request is still opened, listed for staff as "by hand", and
    staff record the recipient's confirmation in the console (audited as theirs)."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    flow = activate(*PROCESSORS)
    person = person_with(name=PI[0])
    provide(system_actor, flow, person)
    run = erase(system_actor, person, django_capture_on_commit_callbacks)
    request = DeletionRequest.objects.get(erasure_run=run.pk)
    assert not Message.objects.exists()
    model_admin = DeletionRequestAdmin(DeletionRequest, admin.site)
    assert model_admin.delivery(request) == "by hand (no endpoint)"
    staff = get_user_model().objects.create_superuser("officer", "o@operator.test", "x")
    http = rf.post("/")
    http.user = staff
    form = model_admin.get_form(http, request, change=True)(
        {"confirmation": "Letter 2026-17"}, instance=request)
    assert form.is_valid(), form.errors
    model_admin.save_model(http, form.save(commit=False), form, change=True)
    request.refresh_from_db()
    assert (request.status, request.confirmation) == (ForwardStatus.CONFIRMED, "Letter 2026-17")
    record = AuditEvent.objects.get(action="sharing.deletion_confirmed")
    assert (record.actor_kind, record.actor_id) == ("staff", str(staff.pk))
    assert "confirmation" in model_admin.get_readonly_fields(http, request)


def test_unconfirmed_requests_turn_overdue_and_alert(shared_twice, system_actor,
                                                     django_capture_on_commit_callbacks):
    """The daily job marks requests past their due date overdue, audited, with one alert per
    recipient naming the person; confirmed ones and those not yet due are left alone."""
    run = erase(system_actor, shared_twice, django_capture_on_commit_callbacks)
    requests = {r.recipient: r for r in DeletionRequest.objects.filter(erasure_run=run.pk)}
    propagation.confirm(actor=system_actor, deletion_request=requests["partner.business"])
    due = requests["affiliate.intron_group"].due_at
    assert propagation.mark_overdue(actor=system_actor, now=due) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert propagation.daily(actor=system_actor, now=due + timedelta(seconds=1)) == {
            "forwarded": 0, "contracts_ended": 0, "overdue": 1}
    statuses = dict(DeletionRequest.objects.values_list("recipient", "status"))
    assert statuses == {"partner.business": ForwardStatus.CONFIRMED,
                        "affiliate.intron_group": ForwardStatus.OVERDUE}
    alert = Alert.objects.get(kind="sharing.deletion_overdue")
    assert list(alert.subjects.all()) == [shared_twice]
    assert alert.detail == {"recipient": "affiliate.intron_group",
                            "requests": [requests["affiliate.intron_group"].pk],
                            "reasons": ["deletion"]}
    assert AuditEvent.objects.filter(action="sharing.deletion_overdue").count() == 1
    assert propagation.mark_overdue(actor=system_actor, now=due + timedelta(days=1)) == 0
    late = propagation.confirm(actor=system_actor,
                               deletion_request=requests["affiliate.intron_group"])
    assert late.status == ForwardStatus.CONFIRMED
    assert AuditEvent.objects.filter(action="sharing.deletion_confirmed").last().detail["late"]


def test_the_daily_job_forwards_an_erasure_whose_hook_was_lost(shared_twice, system_actor,
                                                               receiver, settings):
    """The after-commit hook never ran (no commit callbacks here): the daily job forwards the
    finished erasure, once, and re-queues itself for tomorrow."""
    from piwarden.jobs.models import Job

    settings.TASKS = {"default": {"BACKEND": "piwarden.jobs.backend.JobBackend"}}
    run = subjectdata.start_erasure(actor=system_actor, subject=shared_twice, reason="request",
                                    categories=None)
    subjectdata.run_erasure(run_id=run.pk)
    assert not DeletionRequest.objects.exists()
    assert propagation.forward_missed_erasures(actor=system_actor) == 2
    assert propagation.forward_missed_erasures(actor=system_actor) == 0
    assert DeletionRequest.objects.filter(erasure_run=run.pk).count() == 2
    assert tasks.daily_checks.call() == {"forwarded": 0, "contracts_ended": 0, "overdue": 0}
    queued = Job.objects.get(task_path=tasks.daily_checks.module_path)
    assert timezone.localtime(queued.run_after).time() == tasks.RUN_AT
