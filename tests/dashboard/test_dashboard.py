"""The operator dashboard (issue 17, "An operator dashboard")."""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from piwarden.alerts.models import Alert
from piwarden.audit.models import ChainCheck
from piwarden.consent.models import ConsentEvent, Notice
from piwarden.dashboard import selectors
from piwarden.incidents.models import Incident
from piwarden.rights import deadlines
from piwarden.rights.models import RightsRequest
from piwarden.subjectdata.models import ErasureRun, ExportArchive

pytestmark = pytest.mark.django_db
URL = "/admin/dashboard/"


def _officer(name="officer") -> Client:
    user = get_user_model().objects.create_user(name, f"{name}@operator.test", "x",
                                                is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="role:privacy_officer")[0])
    client = Client()
    client.force_login(user)
    return client


def _request(subject, due, type_="access", status="received"):
    return RightsRequest.objects.create(subject=subject, type=type_, channel="privacy_center",
                                        status=status, due_date=due)


def _consent(subject, purpose, choice, at):
    notice, _ = Notice.objects.get_or_create(sha256=hashlib.sha256(b"n").hexdigest(),
                                             defaults={"text": "n"})
    return ConsentEvent.objects.create(subject=subject, purpose=purpose, choice=choice,
                                       policy_version="1", notice=notice, channel="web",
                                       actor_kind="subject", actor_id="x", occurred_at=at)


def _incident(severity, status="open"):
    now = timezone.now()
    return Incident.objects.create(title="t", severity=severity, status=status,
                                   detected_at=now, rule_set="cac", report_due_at=now,
                                   progress_every_days=3, created_by="tests")


@pytest.fixture
def world(make_subject):
    """Open requests (overdue, due soon, later), consent decisions, runs, a check, incidents."""
    person, other = make_subject(), make_subject()
    today = timezone.localdate()
    soon_until, _ = deadlines.due_date(today, 2)
    reqs = {
        "overdue": _request(person, today - datetime.timedelta(days=3)),
        "soon": _request(other, soon_until, type_="deletion"),
        "later": _request(person, today + datetime.timedelta(days=30), type_="correction"),
        "closed": _request(person, today - datetime.timedelta(days=9), status="completed"),
    }
    now = timezone.now()
    for days in (0, 1, 8):
        _consent(person, "marketing.email", "grant", now - datetime.timedelta(days=days))
    _consent(other, "marketing.email", "withdraw", now)
    _consent(other, "marketing.sms", "grant", now - datetime.timedelta(weeks=20))  # too old
    ErasureRun.objects.create(subject=person, reason="r")
    ErasureRun.objects.create(subject=other, reason="r", status="done")
    ExportArchive.objects.create(subject=person)
    ChainCheck.objects.create(requested_by="tests", ok=True, checked=42, head_seq=42,
                              head_hash="a" * 64, finished_at=now)
    _incident("major")
    _incident("major")
    _incident("general", status="closed")
    Alert.objects.create(kind="egress.refused", severity="high", source="t", summary="s")
    return {"person": person, "other": other, "requests": reqs}


def test_i17_dashboard_renders_for_a_privacy_officer_with_overdue_requests_in_red(world):
    """A privacy officer sees open requests by due date: overdue red, due soon amber, linked."""
    page = _officer().get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    reqs = world["requests"]
    overdue, soon, later = (str(reqs[k].pk) for k in ("overdue", "soon", "later"))
    assert html.index(overdue) < html.index(soon) < html.index(later)
    assert str(reqs["closed"].pk) not in html
    assert f'data-request="{overdue}" data-level="overdue"' in html
    assert f'data-request="{soon}" data-level="soon"' in html
    assert ".due-overdue { color: #cf222e" in html
    assert f"/admin/rights/rightsrequest/{overdue}/change/" in html
    rights = page.context["rights"]
    assert (rights.open, rights.overdue, rights.soon) == (3, 1, 1)


def test_i17_dashboard_shows_no_pi_only_the_short_subject_id(world):
    """Rows about a person name them by the short form of their subject id only."""
    html = _officer().get(URL).content.decode()
    person = str(world["person"].pk)
    assert person[:8] in html and person not in html


def test_i17_dashboard_consent_charts_are_inline_svg_with_a_table(world):
    """Grant/withdraw per purpose over 12 weeks: an inline SVG and the numbers as a table."""
    page = _officer().get(URL)
    html = page.content.decode()
    # Only marketing.email has decisions in the 12 weeks.
    assert html.count('class="dash-chart"') == 1
    assert 'data-purpose="marketing.email"' in html and "marketing.sms" not in html
    assert 'class="sr-only"' in html and "<th scope=\"row\">" in html
    series = page.context["rates"][0]
    assert (series["grants"], series["withdrawals"]) == (3, 1)
    assert len(series["rows"]) == 12


def test_i17_dashboard_counts_work_in_progress_chain_incidents_and_alerts(world):
    """Erasures and exports in progress, the last chain check, open incidents and alerts."""
    page = _officer().get(URL)
    ctx = page.context
    assert ctx["erasures"].count == 1 and ctx["exports"].count == 1
    assert ctx["chain"].last.ok is True and ctx["chain"].last.checked == 42
    assert ctx["incidents_open"] == 2
    assert {r["key"]: r["count"] for r in ctx["incidents"]}["major"] == 2
    assert ctx["alerts_open"] == 1
    html = page.content.decode()
    assert 'data-chain="intact"' in html
    assert "/admin/incidents/incident/" in html and "/admin/subjectdata/erasurerun/" in html


def test_i17_dashboard_is_refused_for_a_non_staff_user_and_staff_without_a_role(make_subject):
    """A signed-in person without staff status never sees it; staff without a role get 403."""
    User = get_user_model()
    person = Client()
    person.force_login(User.objects.create_user("someone", "s@example.test", "x"))
    response = person.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Client().get(URL).status_code == 302
    clerk = Client()
    clerk.force_login(User.objects.create_user("clerk", "c@operator.test", "x", is_staff=True))
    assert clerk.get(URL).status_code == 403


def test_i17_dashboard_query_count_is_bounded(world, make_subject):
    """A few aggregate queries, not one per row: more rows add no queries."""
    client = _officer()
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    person = make_subject()
    today = timezone.localdate()
    for i in range(15):
        _request(person, today + datetime.timedelta(days=i - 5))
        _consent(person, f"marketing.{['email', 'sms', 'phone'][i % 3]}", "grant",
                 timezone.now() - datetime.timedelta(days=i * 5))
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as own:
        selectors.rights_by_due()
        selectors.consent_rates()
        selectors.erasures_in_progress()
        selectors.exports_in_progress()
        selectors.chain_status()
        selectors.open_incidents()
        selectors.open_alerts()
    assert len(own) <= 13  # the page adds the console's session, user and permission reads
    assert len(many) <= 30


def test_i17_dashboard_is_the_first_link_of_the_console(world):
    """The console index links the dashboard before the app list."""
    html = _officer().get("/admin/").content.decode()
    assert html.index('href="/admin/dashboard/"') < html.index('id="content-main"') or \
        html.index('href="/admin/dashboard/"') < html.index('class="app-')


def test_i17_dashboard_in_chinese(world):
    """Every word on the dashboard is translated."""
    client = _officer()
    client.cookies["django_language"] = "zh-hans"
    html = client.get(URL, headers={"accept-language": "zh-hans"}).content.decode()
    for english in ("Rights requests by due date", "Open incidents", "Audit chain",
                    "Erasures and exports in progress", "Granted"):
        assert english not in html
    assert "权利请求" in html


def test_i17_dashboard_week_starts_are_mondays_in_china_time():
    starts = selectors.week_starts(today=datetime.date(2026, 12, 4))
    assert starts[-1] == datetime.date(2026, 11, 30) and len(starts) == 12
    assert all(day.weekday() == 0 for day in starts)


def test_i17_dashboard_lists_rights_requests_only_to_roles_that_handle_them(world):
    """Marketing staff see how many requests are open, not which person has which request."""
    user = get_user_model().objects.create_user("marketer", "m@operator.test", "x",
                                                is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="role:marketing")[0])
    client = Client()
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert "data-rights-hidden" in html and "data-request=" not in html
    assert 'data-count="overdue"' in html
    assert "data-request=" in _officer().get(URL).content.decode()
