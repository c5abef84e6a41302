"""Staff entry with evidence, the admin list by due date, reminders and escalation."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.rights import deadlines, services
from piwarden.rights.models import RequestStatus, RightsRequest
from tests.rights.conftest import sent_mail

# Mail leaves through the outbox: sent_mail() delivers what is queued, as the task
# worker would, before reading Django's locmem outbox.
pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


def _letter():
    return SimpleUploadedFile("letter.pdf", b"%PDF-1.4 scanned letter", "application/pdf")


def _submit(subject, type_="complaint", **kwargs):
    with transaction.atomic():
        return services.submit(actor=SYSTEM, subject=subject, type=type_,
                               channel="staff", text="By post.", evidence=_letter(), **kwargs)


def test_staff_entry_needs_the_evidence(account, admin_client,
                                        django_capture_on_commit_callbacks):
    form = {"subject_id": str(account.subject_id), "type": "complaint", "text": "By post.",
            "categories": "", "purpose": "", "field": ""}
    response = admin_client.post("/admin/rights/rightsrequest/add/", form)
    assert response.status_code == 200 and b"Attach the written" in response.content
    assert not RightsRequest.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/rights/rightsrequest/add/",
                                     {**form, "evidence": _letter()})
    assert response.status_code == 302
    req = RightsRequest.objects.get()
    assert req.channel == "staff" and req.status == RequestStatus.RECEIVED and req.evidence
    assert services.details(req) == "By post."
    assert account.test_email in sent_mail()[-1].to  # the person hears it was received


def test_admin_lists_open_requests_by_due_date_with_overdue_highlighted(account, admin_client):
    late, soon = _submit(account.subject), _submit(account.subject)
    RightsRequest.objects.filter(pk=late.pk).update(due_date=datetime.date(2026, 1, 5))
    page = admin_client.get("/admin/rights/rightsrequest/?open=yes").content.decode()
    assert "data-overdue" in page
    assert page.index(str(late.pk)) < page.index(str(soon.pk))
    overdue_only = admin_client.get("/admin/rights/rightsrequest/?open=overdue").content.decode()
    assert str(late.pk) in overdue_only and str(soon.pk) not in overdue_only


def test_reminders_before_the_due_date_and_escalation_after(account,
                                                            django_capture_on_commit_callbacks):
    handler = get_user_model().objects.create_user("handler", "handler@operator.test", "x",
                                                   is_staff=True)
    handler.user_permissions.add(Permission.objects.get(codename="change_rightsrequest"))
    get_user_model().objects.create_user("clerk", "clerk@operator.test", "x", is_staff=True)
    req = _submit(account.subject)
    sent_mail().clear()
    two_days_before = req.due_date
    while deadlines.business_days_between(two_days_before, req.due_date) < 2:
        two_days_before -= datetime.timedelta(days=1)
    early = req.due_date - datetime.timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_deadline_notices(actor=SYSTEM, today=early) == {
            "reminded": 0, "escalated": 0}
        assert services.send_deadline_notices(actor=SYSTEM, today=two_days_before) == {
            "reminded": 1, "escalated": 0}
        # once only
        assert services.send_deadline_notices(actor=SYSTEM, today=two_days_before) == {
            "reminded": 0, "escalated": 0}
    assert len(sent_mail()) == 1 and sent_mail()[0].to == ["handler@operator.test"]
    assert str(req.pk) in sent_mail()[0].body
    after = req.due_date + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_deadline_notices(actor=SYSTEM, today=after) == {
            "reminded": 0, "escalated": 1}
    assert "overdue" in sent_mail()[-1].subject and "OVERDUE" in sent_mail()[-1].body
    assert AuditEvent.objects.filter(action="rights.deadline_escalated",
                                     object_id=str(req.pk)).exists()


def test_closed_requests_are_not_chased(account, django_capture_on_commit_callbacks):
    req = _submit(account.subject)
    with transaction.atomic():
        services.refuse(actor=SYSTEM, rights_request=req, reason="Duplicate of an earlier one.")
    later = req.due_date + datetime.timedelta(days=30)
    assert services.send_deadline_notices(actor=SYSTEM, today=later)["escalated"] == 0


def test_every_step_is_audited_without_pi(account, django_capture_on_commit_callbacks):
    """Each transition leaves an audit record naming the request; the free text and the
    contact values never appear in the trail."""
    req = _submit(account.subject, type_="explanation")
    with transaction.atomic():
        services.require_evidence(actor=SYSTEM, rights_request=req, note="A signed copy.")
        services.verify(actor=SYSTEM, rights_request=req)
        services.answer(actor=SYSTEM, rights_request=req, text="Because of the contract.")
    records = AuditEvent.objects.filter(object_id=str(req.pk))
    transitions = [r.detail["to"] for r in records.filter(action="rights.status_changed")]
    assert transitions == ["verifying", "verified", "in_progress", "completed"]
    blob = " ".join(str(r.detail) for r in AuditEvent.objects.filter(subject=account.subject))
    assert "By post." not in blob and account.test_email not in blob
    assert account.test_phone not in blob


def test_due_date_is_set_at_receipt(account):
    req = _submit(account.subject)
    assert (req.due_date, req.due_provisional) == deadlines.due_date(
        timezone.localdate(req.received_at))


def test_rights_source_exports_and_erases_its_own_rows(account):
    from piwarden.rights.subject_data import SOURCE

    req = _submit(account.subject)
    exported = SOURCE.export(account.subject)
    assert exported["rights_requests"][0]["details"] == "By post."
    with transaction.atomic():
        result = SOURCE.erase(actor=SYSTEM, subject=account.subject, categories=None)
        again = SOURCE.erase(actor=SYSTEM, subject=account.subject, categories=None)
    req.refresh_from_db()
    assert not req.evidence and not req.has_details
    assert result.erased == 1 and result.anonymized == 1
    assert again.erased == 0 and again.anonymized == 0  # idempotent
    assert result.kept[0].legal_basis == "legal_obligation"


def test_closed_requests_expire_after_three_years(account):
    """The retention sweep deletes closed requests past P3Y, with their details; open ones and
    recent ones stay."""
    from piwarden.rights.subject_data import RETENTION_KIND

    old, recent, still_open = (_submit(account.subject) for _ in range(3))
    with transaction.atomic():
        for req in (old, recent):
            services.refuse(actor=SYSTEM, rights_request=req, reason="Duplicate.")
    RightsRequest.objects.filter(pk=old.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=3 * 366))
    cutoff = timezone.now() - datetime.timedelta(days=3 * 365)
    assert RETENTION_KIND.due(before=cutoff) == 1
    assert RETENTION_KIND.expire(actor=SYSTEM, before=cutoff, limit=10) == 1
    assert set(RightsRequest.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    assert services.details(RightsRequest.objects.get(pk=recent.pk)) == "By post."
    assert AuditEvent.objects.filter(action="rights.request_expired").count() == 1
