"""The console side: an expired grant is refused on the next request, idle staff sessions end,
and the registry, grant and break-glass pages run through the services."""

import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.models import AuditEvent
from piwarden.roles import registry
from piwarden.roles.middleware import SEEN
from piwarden.roles.models import Grant, StaffMember
from tests.roles.factories import PDF, cleared, grant_role, staff_user

pytestmark = pytest.mark.django_db
LIST = "/admin/authorities/authorityrequest/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_v_5_1b_expired_grant_stops_working(groups):
    """A request made after the grant's expiry is refused at once, without any job run."""
    lawyer = staff_user("lawyer")
    made = grant_role(lawyer, registry.LEGAL)
    browser = logged_in(lawyer)
    assert browser.get(LIST).status_code == 200
    Grant.objects.filter(pk=made.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert browser.get(LIST).status_code == 403
    assert not lawyer.groups.filter(name="role:legal").exists()
    assert AuditEvent.objects.filter(action="roles.grant_expired").count() == 1


def stale(browser: Client, minutes: int) -> None:
    session = browser.session
    session[SEEN] = int(time.time()) - minutes * 60
    session.save()


def test_v_5_1b_idle_console_session_is_logged_out(officer, settings):
    settings.PIWARDEN_CONSOLE_IDLE_MINUTES = 30
    browser = logged_in(officer)
    assert browser.get("/admin/").status_code == 200
    stale(browser, 29)
    assert browser.get("/admin/").status_code == 200
    stale(browser, 31)
    answer = browser.get("/admin/")
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]
    assert AuditEvent.objects.filter(action="staff.idle_logout").count() == 1
    assert "_auth_user_id" not in browser.session


def test_v_5_1b_an_idle_staff_session_is_logged_out_of_the_api_too(officer, settings):
    settings.PIWARDEN_CONSOLE_IDLE_MINUTES = 30
    browser = logged_in(officer)
    assert browser.get("/api/v1/incidents/").status_code == 200
    stale(browser, 31)
    assert browser.get("/api/v1/incidents/").status_code == 401
    assert AuditEvent.objects.filter(action="staff.idle_logout").count() == 1


def test_v_5_1b_idle_logout_leaves_people_sessions_alone(db, settings):
    from django.contrib.auth import get_user_model

    settings.PIWARDEN_CONSOLE_IDLE_MINUTES = 30
    person = get_user_model().objects.create_user("person-idle", "p@example.test", "x")
    browser = logged_in(person)
    stale(browser, 120)
    browser.get("/admin/")
    assert browser.session.get("_auth_user_id") == str(person.pk)


def test_v_5_1b_console_pages_for_the_privacy_officer(officer):
    browser = logged_in(officer)
    for page in ("roles/grant/", "roles/staffmember/", "roles/accessreview/",
                 "roles/accessreviewline/", "roles/grant/new/", "roles/staffmember/record/"):
        assert browser.get(f"/admin/{page}").status_code == 200, page
    clerk = staff_user("clerk")
    refused = browser.post("/admin/roles/grant/new/", {"user": clerk.pk, "key": "legal"})
    assert refused.status_code == 200 and b"confidentiality agreement" in refused.content
    assert AuditEvent.objects.filter(action="roles.grant_refused").count() == 1
    recorded = browser.post("/admin/roles/staffmember/record/", {
        "user": clerk.pk, "signed_on": "2026-01-05", "trained_on": "2026-01-06",
        "document": SimpleUploadedFile("nda.pdf", PDF)})
    assert recorded.status_code == 302
    assert StaffMember.objects.get(user=clerk).cleared
    granted = browser.post("/admin/roles/grant/new/", {"user": clerk.pk, "key": "legal"})
    assert granted.status_code == 302 and Grant.objects.filter(user=clerk).exists()
    member = StaffMember.objects.get(user=clerk)
    opened = browser.get(f"/admin/roles/staffmember/{member.pk}/agreement/")
    assert opened.status_code == 200 and opened.content == PDF


def test_v_5_1b_break_glass_page_for_staff_without_a_role(groups):
    oncall = staff_user("oncall")
    cleared(oncall)
    browser = logged_in(oncall)
    taken = browser.post("/admin/roles/grant/break-glass/",
                         {"key": "security_officer", "reason": "Incident 7: alerts flood"})
    assert taken.status_code == 302
    assert Alert.objects.filter(kind="roles.break_glass", severity="high").count() == 1


def test_v_5_1b_offboarding_page(officer):
    leaver = staff_user("leaver")
    member = cleared(leaver)
    browser = logged_in(officer)
    done = browser.post(f"/admin/roles/staffmember/{member.pk}/offboard/", {"reason": "Left."})
    assert done.status_code == 302
    leaver.refresh_from_db()
    assert not leaver.is_active
