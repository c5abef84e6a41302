"""The staff console writes through the services: a refusal shows on the form."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from piwarden.audit.models import AuditEvent
from piwarden.incidents.models import Incident, RegulatorSubmission
from tests.staff import staff_client

from .conftest import ELEMENTS

pytestmark = pytest.mark.django_db
ADMIN = "/admin/incidents"
PERMS = ("view_incident", "add_incident", "change_incident", "close_incident",
         "export_incident", "view_regulatorsubmission", "add_regulatorsubmission",
         "view_drill", "add_drill")


def _form(**overrides):
    data = {"title": "API key K leaked", "summary": "", "severity": "serious",
            "detected_at_0": "2026-03-01", "detected_at_1": "14:30:00",
            "occurred_from_0": "2026-03-01", "occurred_from_1": "10:00:00",
            "occurred_to_0": "2026-03-01", "occurred_to_1": "14:00:00",
            "principal_kind": "api_client", "principal_id": "7", **ELEMENTS}
    for prefix in ("events", "submissions", "updates"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def test_v_5_3a_console_opens_decides_and_is_refused_closing_without_report():
    staff = staff_client("incidents", *PERMS)
    response = staff.post(f"{ADMIN}/incident/add/", _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.created_by == f"staff:{staff.user.pk}"
    assert AuditEvent.objects.filter(action="incidents.created").count() == 1
    refused = staff.post(f"{ADMIN}/incident/{incident.pk}/change/", _form(
        decision="not_notify", justification=""))
    assert refused.status_code == 200  # the form again, with the service's refusal
    assert "justification" in refused.content.decode()
    incident.refresh_from_db()
    assert incident.decision == ""
    staff.post(f"{ADMIN}/incident/{incident.pk}/change/", _form(
        decision="not_notify", justification="Encrypted at rest; key not exposed."))
    incident.refresh_from_db()
    assert incident.decision == "not_notify"
    response = staff.post(f"{ADMIN}/incident/", {"action": "close",
                                                 "_selected_action": [incident.pk]},
                          follow=True)
    assert "Reporting to the regulator is never optional" in response.content.decode()
    receipt = SimpleUploadedFile("r.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    response = staff.post(f"{ADMIN}/regulatorsubmission/add/", {
        "incident": incident.pk, "authority": "省网信办", "submitted_at_0": "2026-03-01",
        "submitted_at_1": "16:00:00", "reference": "R-1", "receipt_file": receipt})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RegulatorSubmission.objects.get().receipt_sha256
    staff.post(f"{ADMIN}/incident/", {"action": "close", "_selected_action": [incident.pk]})
    incident.refresh_from_db()
    assert incident.status == "closed"
    pack = staff.get(f"{ADMIN}/incident/{incident.pk}/pack.json")
    assert pack.json()["submissions"][0]["reference"] == "R-1"
    assert "较大" in staff.get(f"{ADMIN}/incident/{incident.pk}/pack.html").content.decode()
    assert "合规证据包" in staff.get(f"{ADMIN}/incident/evidence.html").content.decode()


def test_console_pages_render_for_a_reader():
    reader = staff_client("incidents", "view_incident", "view_drill", name="reader")
    assert reader.get(f"{ADMIN}/incident/").status_code == 200
    assert reader.get(f"{ADMIN}/drill/").status_code == 200
    assert reader.get(f"{ADMIN}/incident/evidence.json").status_code == 403


def test_v_5_3a_console_records_drills_and_shows_the_playbook(make_incident):
    staff = staff_client("incidents", *PERMS, "add_playbook", "view_playbook", name="sec")
    assert staff.post(f"{ADMIN}/drill/add/", {"held_on": "2026-02-01", "scenario": "Key leak",
                                              "participants": "4", "findings": ""}
                      ).status_code == 302
    assert AuditEvent.objects.filter(action="incidents.drill_recorded").count() == 1
    assert staff.post(f"{ADMIN}/playbook/add/", {"severity": "serious",
                                                 "steps": "1. Revoke the key"}
                      ).status_code == 302
    page = staff.get(f"{ADMIN}/incident/{make_incident().pk}/change/").content.decode()
    assert "1. Revoke the key" in page
