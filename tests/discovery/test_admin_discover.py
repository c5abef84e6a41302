"""Discovery reports and findings in the console: words for every code in both languages,
China time, filters, and the actions (false positive, fixed, ownership) through the audited
services."""

import html

import pytest
from django.db import connection

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.discovery import services
from piwarden.discovery.models import FindingStatus
from piwarden.roles.registry import PRIVACY_OFFICER, ROLES, SECURITY_OFFICER
from tests.staff import staff_client

pytestmark = pytest.mark.django_db
ADMIN = "/admin/discovery"
PERMS = ("view_report", "view_finding", "change_finding")
RESIDENT_ID = "110101199003077571"


@pytest.fixture
def report(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PIWARDEN_LOG_DIR = tmp_path / "logs"
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "web.log").write_text(f"ok\nid {RESIDENT_ID}\n", encoding="utf-8")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE hand_made (id integer PRIMARY KEY, note text)")
        cursor.execute("INSERT INTO hand_made (id, note) VALUES (1, %s)", [f"身份证{RESIDENT_ID}"])
    return services.run_discover(actor=Actor.system("tests"))


def _page(client, url, lang="en"):
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def test_i18_reports_and_findings_in_words_in_both_languages(report):
    staff = staff_client("discovery", *PERMS)
    reports = _page(staff, f"{ADMIN}/report/")
    assert f"#{report.pk}" in reports and "System job" in reports
    assert "Database, Files in the data directory, Logs" in reports
    assert "Findings:" in reports
    findings = _page(staff, f"{ADMIN}/finding/")
    assert "hand_made.note" in findings and "logs/web.log:2" in findings
    assert "PRC resident ID number" in findings
    assert RESIDENT_ID not in findings
    zh = _page(staff, f"{ADMIN}/finding/", "zh-hans")
    assert "居民身份证号码" in zh and "待处理" in zh
    assert "PRC resident ID number" not in zh
    detail = _page(staff, f"{ADMIN}/report/{report.pk}/change/", "zh-hans")
    assert "系统任务" in detail and "数据库" in detail
    finding = report.findings.get(location="hand_made.note")
    one = _page(staff, f"{ADMIN}/finding/{finding.pk}/change/")
    assert "ID information" in one and "Not declared" in one and "user.id_info" not in one
    one_zh = _page(staff, f"{ADMIN}/finding/{finding.pk}/change/", "zh-hans")
    assert "身份证件信息" in one_zh and "未声明" in one_zh


def test_i18_report_times_are_china_time(report):
    from piwarden.catalog import labels

    page = _page(staff_client("discovery", *PERMS), f"{ADMIN}/report/")
    assert labels.china_time(report.started_at, "en") in page


def test_i18_findings_filter_by_status_type_and_kind(report):
    staff = staff_client("discovery", *PERMS)
    by_type = _page(staff, f"{ADMIN}/finding/?type=cn_resident_id&kind=log")
    assert "logs/web.log:2" in by_type and "hand_made.note" not in by_type
    none_fixed = _page(staff, f"{ADMIN}/finding/?status=fixed")
    assert "hand_made.note" not in none_fixed


def test_z_8_console_actions_go_through_the_audited_services(report):
    staff = staff_client("discovery", *PERMS)
    column = report.findings.get(location="hand_made.note")
    log = report.findings.get(location="logs/web.log:2")
    for action, finding in (("accept_false_positive", column), ("mark_fixed", log),
                            ("take_ownership", log)):
        response = staff.post(f"{ADMIN}/finding/", {"action": action,
                                                    "_selected_action": [finding.pk]})
        assert response.status_code == 302
    column.refresh_from_db()
    log.refresh_from_db()
    assert column.status == FindingStatus.FALSE_POSITIVE
    assert (log.status, log.owner) == (FindingStatus.FIXED, staff.user)
    events = AuditEvent.objects.filter(action__startswith="discovery.finding_")
    assert {e.actor_id for e in events} == {str(staff.user.pk)}
    assert events.count() == 3


def test_findings_are_never_edited_by_form_and_viewers_cannot_act(report):
    viewer = staff_client("discovery", "view_report", "view_finding", name="viewer")
    finding = report.findings.first()
    page = _page(viewer, f"{ADMIN}/finding/{finding.pk}/change/")
    assert 'name="status"' not in page
    viewer.post(f"{ADMIN}/finding/", {"action": "mark_fixed", "_selected_action": [finding.pk]})
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    assert viewer.get(f"{ADMIN}/report/add/").status_code == 403


def test_security_and_privacy_officers_handle_findings():
    for key in (SECURITY_OFFICER, PRIVACY_OFFICER):
        assert {f"discovery.{p}" for p in PERMS} <= set(ROLES[key].permissions)
