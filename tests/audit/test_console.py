"""The audit trail in the console (issue 17 point 9): it fits, newest first, China time, and a
chain check shows its result without a manual reload."""

import datetime

import pytest
from django.db import transaction

from piwarden.audit import services
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, ChainCheck

pytestmark = pytest.mark.django_db
LIST = "/admin/audit/auditevent/"


@pytest.fixture
def records(person):
    with transaction.atomic():
        first = services.record(actor=Actor.system("tests"), action="test.first",
                                subject=person, purpose="consent.management")
        last = services.record(actor=Actor.system("a-very-long-job-name.that-goes-on-and-on"),
                               action="test.a_very_long_action_name_that_will_not_fit_at_all",
                               subject=person, purpose="consent.management")
    return first, last


def test_i17_9_audit_list_is_newest_first(records, admin_client):
    """The audit list shows the newest record first."""
    first, last = records
    page = admin_client.get(LIST).content.decode()
    assert page.index(f"/admin/audit/auditevent/{last.pk}/change/") < \
        page.index(f"/admin/audit/auditevent/{first.pk}/change/")


def test_i17_9_audit_list_has_few_narrow_columns_with_the_full_text_in_title(records,
                                                                             admin_client):
    """Seven narrow columns; long values cut with the whole value in title; words for the
    purpose with the key in title; the person by the short form of their id; China time."""
    _first, last = records
    response = admin_client.get(LIST)
    page = response.content.decode()
    columns = [c for c in response.context["cl"].list_display if c != "action_checkbox"]
    assert columns == ["number", "when", "action_short", "actor_short", "subject_short",
                       "purpose_short", "outcome_word"]
    assert 'title="test.a_very_long_action_name_that_will_not_fit_at_all"' in page
    assert "test.a_very_long_action_name_that_will_not_fit_at_all</" not in page
    assert "…" in page
    subject = str(last.subject_id)
    assert f'<code title="{subject}">{subject[:8]}</code>' in page
    assert "(consent.management)" in page  # the key, in the title beside the words
    china = last.occurred_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    assert china.strftime("%Y-%m-%d %H:%M") in page
    assert "white-space: nowrap" in page


def test_i17_9_audit_detail_page_holds_the_full_record(records, admin_client):
    _first, last = records
    page = admin_client.get(f"{LIST}{last.pk}/change/").content.decode()
    assert "test.a_very_long_action_name_that_will_not_fit_at_all" in page
    assert last.hash in page


def test_i17_9_chain_check_shows_its_result_when_done(records, admin_client, settings,
                                                     django_capture_on_commit_callbacks):
    """Pressing "verify" leads to the check's page, which shows the result once it is run."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/audit/chaincheck/run/")
    check = ChainCheck.objects.latest("requested_at")
    assert check.ok is True
    assert response["Location"] == f"/admin/audit/chaincheck/{check.pk}/change/"
    page = admin_client.get(response["Location"]).content.decode()
    assert "reload to see" not in page
    assert 'data-result="intact"' in page and f"{check.checked} records checked" in page
    assert 'http-equiv="refresh"' not in page


def test_i17_9_chain_check_page_refreshes_itself_while_queued(records, admin_client):
    """A queued check's page reloads itself every few seconds; the list too."""
    response = admin_client.post("/admin/audit/chaincheck/run/", follow=True)
    page = response.content.decode()
    check = ChainCheck.objects.latest("requested_at")
    assert check.ok is None
    assert "reload to see" not in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert 'data-result="pending"' in page
    listing = admin_client.get("/admin/audit/chaincheck/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in listing
    services.run_check(check=check)
    done = admin_client.get(f"/admin/audit/chaincheck/{check.pk}/change/").content.decode()
    assert 'data-result="intact"' in done and 'http-equiv="refresh"' not in done
    assert AuditEvent.objects.exists()


def test_i17_9_audit_console_in_chinese(records, admin_client):
    admin_client.cookies["django_language"] = "zh-hans"
    page = admin_client.get(LIST, headers={"accept-language": "zh-hans"}).content.decode()
    assert "时间（北京时间）" in page and "操作者" in page and "成功" in page
