"""Incident lifecycle: deadlines from the rules, the closing rules, escalation, drills."""

import datetime
import hashlib

import pytest
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.incidents import services
from piwarden.incidents.models import Drill, IncidentEvent, Status

from .conftest import at

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _code(excinfo):
    return excinfo.value.code, excinfo.value.status


def test_v_5_3b_report_deadline_follows_the_configured_rule_set(make_incident, officer,
                                                                settings):
    serious = make_incident()
    assert (serious.rule_set, serious.report_due_at) == ("operator", at(1, 18, 30))
    settings.PIWARDEN_INCIDENT_RULE_SET = "cii"
    assert make_incident().report_due_at == at(1, 15, 30)
    settings.PIWARDEN_INCIDENT_RULES = {"general": 12}
    general = make_incident(severity="general")
    assert general.report_due_at == at(2, 2, 30)
    moved = services.update_incident(actor=officer, incident=general, severity="major")
    assert moved.report_due_at == at(1, 15, 30)  # still counted from detection


def test_v_5_3a_closing_without_decision_is_refused(make_incident, officer):
    incident = make_incident()
    with pytest.raises(services.IncidentError) as refused:
        services.close(actor=officer, incident=incident)
    assert _code(refused) == ("DECISION_MISSING", 409)
    with pytest.raises(services.IncidentError) as refused:
        services.decide_notification(actor=officer, incident=incident, notify=False,
                                     justification="  ")
    assert refused.value.code == "JUSTIFICATION_REQUIRED"
    services.decide_notification(
        actor=officer, incident=incident, notify=False,
        justification="The data was encrypted with a key that did not leak (Art. 57 para 2).")
    with pytest.raises(services.IncidentError) as refused:
        services.close(actor=officer, incident=incident)
    assert _code(refused) == ("REPORT_MISSING", 409)
    services.submit_report(actor=officer, incident=incident, authority="省网信办",
                           submitted_at=at(1, 16), reference="R-1")
    closed = services.close(actor=officer, incident=incident)
    assert closed.status == Status.CLOSED
    assert list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True)
                ) == ["created", "decided", "reported", "closed"]
    assert set(AuditEvent.objects.filter(object_id=str(incident.pk)).values_list(
        "action", flat=True)) >= {"incidents.created", "incidents.decided",
                                  "incidents.reported", "incidents.closed"}
    with pytest.raises(services.IncidentError) as refused:
        services.update_incident(actor=officer, incident=closed, title="reopened")
    assert refused.value.code == "INCIDENT_CLOSED"


def test_v_5_3a_deciding_to_notify_needs_the_notice_started_before_closing(make_incident,
                                                                          officer):
    incident = make_incident()
    services.decide_notification(actor=officer, incident=incident, notify=True)
    services.submit_report(actor=officer, incident=incident, authority="省网信办",
                           submitted_at=at(1, 16))
    with pytest.raises(services.IncidentError) as refused:
        services.close(actor=officer, incident=incident)
    assert _code(refused) == ("NOTICE_NOT_SENT", 409)


def test_v_5_3a_a_compromised_key_needs_its_window(officer):
    with pytest.raises(services.IncidentError) as refused:
        services.create_incident(actor=officer, title="K", severity="general",
                                 principal_kind="api_client", principal_id="1")
    assert refused.value.code == "WINDOW_MISSING"
    store = services.create_incident(actor=officer, title="Backup disk lost",
                                     severity="major", principal_kind="store",
                                     principal_id="database.primary")
    assert store.occurred_from is None


def test_v_5_3b_receipt_is_kept_with_its_digest(make_incident, officer):
    incident = make_incident()
    submission = services.submit_report(actor=officer, incident=incident, authority="省网信办",
                                        submitted_at=at(1, 17), reference="R-2", receipt=PDF)
    assert bytes(submission.receipt) == PDF
    assert submission.receipt_sha256 == hashlib.sha256(PDF).hexdigest()
    record = AuditEvent.objects.get(action="incidents.reported")
    assert record.detail["receipt_sha256"] == submission.receipt_sha256
    assert record.detail["late"] is False
    with pytest.raises(services.IncidentError) as refused:
        services.submit_report(actor=officer, incident=incident, authority="省网信办",
                               submitted_at=at(1, 17), receipt=b"<html>receipt</html>")
    assert refused.value.code == "RECEIPT_INVALID"


def test_v_5_3b_missed_deadline_escalates_once(make_incident, officer):
    late, reported = make_incident(), make_incident(title="reported in time")
    services.submit_report(actor=officer, incident=reported, authority="省网信办",
                           submitted_at=at(1, 16))
    Drill.objects.create(held_on=datetime.date(2026, 1, 5), scenario="key leak",
                         participants=5, recorded_by="tests")
    system = Actor.system("incidents.checks")
    assert services.run_checks(actor=system, now=at(1, 18, 29))["report_overdue"] == 0
    assert services.run_checks(actor=system, now=at(1, 18, 31))["report_overdue"] == 1
    assert services.run_checks(actor=system, now=at(1, 19))["report_overdue"] == 0
    alert = Alert.objects.get(kind="incidents.report_overdue")
    assert alert.severity == "high"
    assert alert.objects_concerned == [f"incidents.incident:{late.pk}"]
    late.refresh_from_db()
    assert late.escalated_at == at(1, 18, 31)
    assert IncidentEvent.objects.filter(incident=late, kind="escalated").count() == 1


def test_v_5_3a_last_drill_over_12_months_ago_raises_a_compliance_alert(officer):
    system = Actor.system("incidents.checks")
    services.record_drill(actor=officer, held_on=datetime.date(2025, 2, 27),
                          scenario="API key leak", participants=6, findings="Runbook unclear")
    services.run_checks(actor=system, now=at(1, 9))
    alert = Alert.objects.get(kind="incidents.drill_overdue")
    assert alert.detail == {"last_drill": "2025-02-27"}
    services.run_checks(actor=system, now=at(2, 9))
    assert Alert.objects.filter(kind="incidents.drill_overdue").count() == 1  # one open alert


def test_v_5_3a_a_recent_drill_raises_no_alert(officer):
    services.record_drill(actor=officer, held_on=datetime.date(2025, 3, 2),
                          scenario="API key leak", participants=6)
    assert services.run_checks(actor=Actor.system("t"), now=at(1, 9))["drill_overdue"] == 0
    assert not Alert.objects.filter(kind="incidents.drill_overdue").exists()


def test_v_5_3a_progress_update_cadence_is_tracked(make_incident, officer, settings):
    settings.PIWARDEN_INCIDENT_PROGRESS_DAYS = 3
    incident = make_incident()
    assert incident.progress_every_days == 3
    update = services.send_progress(actor=officer, incident=incident, text_en="Key rotated.",
                                    text_zh="密钥已轮换。")
    incident.refresh_from_db()
    assert incident.progress_due_at == update.created_at + datetime.timedelta(days=3)
    Drill.objects.create(held_on=timezone.localdate(), scenario="s", participants=1,
                         recorded_by="tests")
    system = Actor.system("t")
    assert services.run_checks(actor=system, now=incident.progress_due_at
                               - datetime.timedelta(minutes=1))["progress_overdue"] == 0
    assert services.run_checks(actor=system, now=incident.progress_due_at
                               + datetime.timedelta(minutes=1))["progress_overdue"] == 1
    with pytest.raises(services.IncidentError) as refused:
        services.send_progress(actor=officer, incident=incident, text_en="x", text_zh="")
    assert refused.value.code == "TEMPLATE_FIELD_MISSING"


def test_playbook_per_severity_is_saved_and_replaced(officer):
    services.save_playbook(actor=officer, severity="major", steps="1. Revoke\n2. Scope")
    playbook = services.save_playbook(actor=officer, severity="major", steps="1. Revoke")
    assert playbook.steps == "1. Revoke"
    assert AuditEvent.objects.filter(action="incidents.playbook_saved").count() == 2
