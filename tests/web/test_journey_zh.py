"""A new user's whole journey in Chinese, in headless Chromium against a live server (issue 17,
"Done when"): the language picked through the picker, sign-up with the privacy policy linked,
a separate consent asked at the point of use with its own notice, an access request whose
export report is in Chinese, and a full deletion whose certificate opens from the e-mailed link
after the account is gone."""

import datetime
import json
import re
import secrets
import zipfile

import pytest
from django.core import mail
from django.utils import timezone

from piwarden.accounts.models import Account
from piwarden.consent.models import ConsentEvent
from piwarden.jobs.worker import Worker
from piwarden.outbox import services as outbox
from piwarden.rights.models import RequestStatus, RightsRequest
from piwarden.subjectdata.models import ErasureRun, ExportArchive
from piwarden.subjects.models import Subject, SubjectStatus
from tests.local_messages import route_messages_locally

PASSWORD = "violet-harbour-tram-9"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def journey_settings(settings, tmp_path):
    """Messages to places the test reads (Django's locmem outbox, one SMS file); exports and
    message files in a temporary folder."""
    from piwarden.caches import freshness

    route_messages_locally(settings, tmp_path)
    mail.outbox = []
    yield settings
    freshness.reset()


def work() -> None:
    """What the task worker does meanwhile: run every due task (export build, erasure, message
    delivery), then deliver messages held back a little (merged notices) as if minutes passed."""
    for _ in range(3):
        Worker(batch=True, heartbeat=False, handle_signals=False).run()
        outbox.deliver_due(now=timezone.now() + datetime.timedelta(minutes=15))


def chinese(page) -> None:
    """The page speaks Chinese: its language, and Chinese in its main heading."""
    assert page.locator("html").get_attribute("lang") == "zh-Hans", page.url
    heading = page.locator("h1").first.inner_text()
    assert CJK.search(heading), (page.url, heading)


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def sms_to(settings, phone: str) -> str:
    lines = settings.PIWARDEN_SMS_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if json.loads(line)["to"] == phone][-1]["text"]


def mail_to(email: str) -> list:
    return [m for m in mail.outbox if email in m.to]


@pytest.fixture
def zh_page(browser, live_url, journey_settings):
    context = browser.new_context(
        base_url=live_url, locale="en-US", accept_downloads=True,
        geolocation={"latitude": 31.23, "longitude": 121.47}, permissions=["geolocation"])
    page = context.new_page()
    requests = set(RightsRequest.objects.values_list("pk", flat=True))
    yield page
    context.close()
    # committed_db removes the subjects the test made; their requests protect them
    RightsRequest.objects.exclude(pk__in=requests).delete()


def test_i17_journey_zh_sign_up_point_of_use_consent_export_and_deletion_in_chinese(
        zh_page, journey_settings):
    """Sign-up → consent at the point of use → access export → deletion, all in Chinese."""
    page, settings = zh_page, journey_settings
    phone = f"+86139{secrets.randbelow(10**8):08d}"
    email = f"journey.{secrets.token_hex(4)}@example.cn"

    # 1. The language, chosen through the picker in the header (the browser asks for English).
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.locator("select[name=language]").select_option("zh-hans")
    chinese(page)
    page.get_by_role("button", name="全部拒绝").click()  # the cookie banner, in Chinese too

    # 2. Sign-up, reached from the header, with the privacy policy linked before the button.
    page.get_by_role("link", name="注册", exact=True).first.click()
    chinese(page)
    form = page.locator("main form").first
    policy = page.locator("main a[href^='/privacy/policy']")
    assert policy.count() >= 1 and CJK.search(policy.first.inner_text())
    form.get_by_label("手机号码").fill(phone)
    form.get_by_label("电子邮箱").fill(email)
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    chinese(page)
    account = Account.objects.get(subject__in=Subject.objects.filter(
        pk__in=_subject_ids(phone)))
    subject = account.subject

    # Bind phone and e-mail with the codes sent to them (in Chinese).
    work()
    sms = sms_to(settings, phone)
    assert CJK.search(sms), sms
    (welcome,) = [m for m in mail_to(email) if re.search(r"\b\d{6}\b", m.body)]
    assert CJK.search(welcome.subject + welcome.body)
    for channel, code in (("phone", code_in(sms)), ("email", code_in(welcome.body))):
        box = page.locator(f"form:has(input[name=channel][value={channel}])")
        box.locator("input[name=code]").fill(code)
        box.get_by_role("button", name="验证", exact=True).click()
        page.wait_for_load_state()
    account.refresh_from_db()
    assert account.phone_verified_at and account.email_verified_at

    # 3. A separate consent at the point of use: location, with its own notice, in Chinese.
    page.goto("/")
    chinese(page)
    assert CJK.search(page.locator("#nearby").inner_text())
    page.locator("#nearby").click()
    prompt = page.get_by_role("dialog", name="使用您的精确位置？")
    prompt.wait_for()
    notice = prompt.inner_text()
    assert len(CJK.findall(notice)) > 30, notice  # what, why, how long, refusing: in words
    assert not ConsentEvent.objects.filter(subject=subject, purpose="location.service").exists()
    prompt.get_by_role("button", name="我同意此项单独同意").click()
    page.locator("#nearby-result").filter(has_text=CJK).wait_for()
    event = ConsentEvent.objects.get(subject=subject, purpose="location.service")
    assert (event.choice, event.scope, event.bundled) == ("grant", "separate.sensitive", False)
    assert event.notice.text.strip() and event.notice.text.split("\n")[0] in notice  # as seen

    # 4. An access request, and its export: the report inside the ZIP is in Chinese.
    page.get_by_role("link", name="我的请求").first.click()
    chinese(page)
    page.locator("main a[href$='/privacy/requests/new/']").first.click()
    page.locator("li[data-type=access] a").click()
    chinese(page)
    assert page.locator("input[type=checkbox]").count() == 0  # no deletion boxes (point 1)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    chinese(page)
    access = RightsRequest.objects.get(subject=subject, type="access")
    work()
    access.refresh_from_db()
    assert access.status == RequestStatus.COMPLETED
    page.reload()
    link = page.locator(f"main a[href*='/privacy/data/exports/{access.export_archive_id}/']")
    with page.expect_download() as download:
        link.first.click()
    archive = zipfile.ZipFile(download.value.path())
    report = archive.read("report.html").decode()
    assert re.search(r'<html[^>]+lang="zh', report)
    assert email in report
    text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(style|script)[^>]*>.*?</\1>", " ", report))
    assert len(CJK.findall(text)) > 100
    assert "位置" in text  # the location consent just given is in the report's consent section
    assert archive.read("report.pdf").startswith(b"%PDF")  # and a PDF beside it
    assert ExportArchive.objects.get(pk=access.export_archive_id).downloads == 1

    # 5. Deletion of everything; the certificate opens from the e-mailed link, without the
    #    account, which is gone.
    page.goto("/privacy/requests/new/?type=deletion")
    chinese(page)
    assert page.locator("main input[type=checkbox]").count() > 0  # categories, none ticked
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    deletion = RightsRequest.objects.get(subject=subject, type="deletion")
    before = len(mail.outbox)
    work()
    deletion.refresh_from_db()
    assert deletion.status == RequestStatus.COMPLETED
    run = ErasureRun.objects.get(pk=deletion.erasure_run_id)
    subject.refresh_from_db()
    assert subject.status == SubjectStatus.ERASED
    assert not Account.objects.filter(pk=account.pk).exists()
    done = [m for m in mail.outbox[before:] if email in m.to]
    assert done and CJK.search(done[-1].subject + done[-1].body)
    url = re.search(r"https?://\S+/privacy/data/certificates/link/\S+", done[-1].body)[0]
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = page.goto("/" + path)  # the same browser: its session's account is gone
    assert response.status == 200
    chinese(page)
    assert page.locator("main a[href*='format=json']").count() == 1
    assert email not in page.content() and phone not in page.content()
    assert run.status == "done"


def _subject_ids(phone: str) -> list:
    from piwarden.vault import services as vault

    return list(vault.find_subject_ids("phone", phone))
