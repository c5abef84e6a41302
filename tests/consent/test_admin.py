from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from piwarden.consent.decisions import decide
from piwarden.consent.models import BasisException, ConsentEvent
from tests.staffreads.helpers import state_purpose

pytestmark = pytest.mark.django_db
ADD = "/admin/consent/consentevent/add/"


@pytest.fixture
def staff(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for model in ("consent/consentevent", "consent/basisexception"):
        state_purpose(admin_client, model, "consent.management")
    return admin_client


def test_staff_record_a_paper_consent_with_its_scan(staff, person):
    scan = SimpleUploadedFile("form.pdf", b"%PDF-1.4 signed form", "application/pdf")
    response = staff.post(ADD, {"subject_id": str(person.pk), "purpose": "marketing.phone",
                                "scope": "general", "choice": "grant",
                                "notice_text": "Printed consent text", "evidence": scan})
    assert response.status_code == 302, response.content
    event = ConsentEvent.objects.get(subject=person)
    assert (event.channel, event.actor_kind) == ("offline", "staff")
    assert b"signed form" not in event.evidence.read()  # sealed: tests/consent/test_evidence.py
    assert decide(person.pk, "marketing.phone").allowed


def test_a_paper_grant_without_scan_is_refused(staff, person):
    response = staff.post(ADD, {"subject_id": str(person.pk), "purpose": "marketing.phone",
                                "scope": "general", "choice": "grant",
                                "notice_text": "Printed consent text"})
    assert response.status_code == 200
    assert b"scanned form" in response.content
    assert not ConsentEvent.objects.filter(subject=person).exists()


def test_events_cannot_be_changed_or_deleted_in_the_console(staff, person):
    scan = SimpleUploadedFile("form.pdf", b"%PDF-1.4 scan", "application/pdf")
    staff.post(ADD, {"subject_id": str(person.pk), "purpose": "survey", "scope": "general",
                     "choice": "grant", "notice_text": "text", "evidence": scan})
    event = ConsentEvent.objects.get(subject=person)
    page = staff.get(f"/admin/consent/consentevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert staff.post(f"/admin/consent/consentevent/{event.pk}/delete/", {"post": "yes"}
                      ).status_code == 403
    with pytest.raises(ValueError):
        event.delete()


def test_staff_record_and_revoke_an_exception(staff, person):
    response = staff.post("/admin/consent/basisexception/add/", {
        "subject_id": str(person.pk), "purpose": "marketing.phone",
        "legal_basis": "exception.vital_interests", "reason": "Product safety recall",
        "expires_at_0": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%d"),
        "expires_at_1": "12:00:00"})
    assert response.status_code == 302, response.content
    assert decide(person.pk, "marketing.phone").reason == "exception_recorded"
    exception = BasisException.objects.get(subject=person)
    staff.post("/admin/consent/basisexception/", {
        "action": "revoke", "_selected_action": [exception.pk]})
    assert not decide(person.pk, "marketing.phone").allowed
