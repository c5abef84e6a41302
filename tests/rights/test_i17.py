"""Issue 17 (what people see), the rights pages: the request form per type (point 1), the
site address and one mail per event (point 6), the cooling-off notice on "My account"
(point 7), words instead of codes (point 5 of the brief, issue point 3) and the certificate
link that works without an account (point 11)."""

import datetime
import hashlib
import html
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.consent import services as consent
from piwarden.consent.models import Channel
from piwarden.consent.services import policy_version
from piwarden.outbox.models import Message
from piwarden.rights import notify, services
from piwarden.rights.models import RequestStatus, RightsRequest
from piwarden.subjectdata.models import CertificateLink
from piwarden.subjects.models import SubjectStatus
from piwarden.vault import services as vault
from piwarden.web.management.commands import serve
from tests.rights.conftest import login, run_engine, sent_mail

pytestmark = pytest.mark.django_db
NOTICE = "We send you offers by e-mail. You can withdraw at any time."
# What a person must never read: dotted keys, snake_case / UPPER_SNAKE codes, ISO durations,
# raw JSON objects.
RAW_CODE = re.compile(r"\b[a-z]+(?:\.[a-z_]+)+\b|\b[a-z]+_[a-z_]+\b|\b[A-Z]{2,}_[A-Z_]+\b"
                      r"|\bP\d+[DWMY]\b|\{\s*\"")


def visible_text(response) -> str:
    """What a person reads: the body's text without tags, attributes, scripts and styles."""
    page = response.content.decode()
    page = page.split("<body", 1)[-1]
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def main_text(response) -> str:
    """The visible text of the page's own content (``<main>``), without header and footer."""
    page = response.content.decode()
    main = page.split('<main', 1)[-1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", "<main" + main))


def raw_codes(text: str) -> list[str]:
    return [m.group(0) for m in RAW_CODE.finditer(text)
            if not re.fullmatch(r"[\w.-]+@[\w.-]+", m.group(0))]


def _new(client, capture, **data):
    data.setdefault("notice_version", policy_version())
    with capture(execute=True):
        return client.post(f"/privacy/requests/new/?type={data.get('type', '')}", data)


def _only(account) -> RightsRequest:
    return RightsRequest.objects.get(subject=account.subject)


def zh(client: Client) -> Client:
    client.cookies["django_language"] = "zh-hans"
    return client


# --- point 1: the request form shows only the fields of the chosen type -----------------------

def test_i17_1_step_one_lists_the_types_and_no_field_of_any_type(account):
    """Without a type the page asks only what the person asks for (links, no JavaScript)."""
    page = login(account).get("/privacy/requests/new/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'href="?type=access"' in body and 'href="?type=deletion"' in body
    assert "?type=cancellation" not in body
    for name in ("categories", "purpose", "field", "text"):
        assert f'name="{name}"' not in body


@pytest.mark.parametrize("type_", ["bogus", "cancellation", "%00", "access'\""])
def test_i17_1_an_unknown_or_staff_only_type_shows_step_one_and_records_nothing(account,
                                                                                 type_):
    """A type a person cannot ask for this way (made up, or cancellation, which has its own
    page) never reaches a form: step one again on GET, and a POST creates no request."""
    client = login(account)
    page = client.get("/privacy/requests/new/", {"type": type_})
    assert page.status_code == 200 and 'href="?type=access"' in page.content.decode()
    before = RightsRequest.objects.count()
    response = client.post("/privacy/requests/new/", {"type": type_, "text": "x"})
    assert response.status_code in (200, 400)
    assert RightsRequest.objects.count() == before


def test_i17_1_access_form_has_no_category_checkbox_purpose_or_correction_field(account):
    """Access: no "data to delete" checkboxes, no withdrawal or correction fields."""
    page = login(account).get("/privacy/requests/new/?type=access")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'type="checkbox"' not in body and 'name="categories"' not in body
    assert 'name="purpose"' not in body and "<select" not in body.split("<main", 1)[1]
    assert 'name="field"' not in body and 'name="text"' not in body
    assert "Data to delete" not in body
    assert 'name="type" value="access"' in body


def test_i17_1_deletion_form_shows_the_categories_grouped_in_words(account):
    """Deletion: the categories as checkboxes in named groups, each in words, never a key."""
    page = login(account).get("/privacy/requests/new/?type=deletion")
    body = page.content.decode()
    assert body.count('name="categories"') >= 20
    assert "<legend>About you</legend>" in body and "<legend>Money</legend>" in body
    assert "Contact information" in body and "Financial information" in body
    assert 'name="purpose"' not in body and 'name="field"' not in body
    assert raw_codes(main_text(page)) == []


def test_i17_1_withdrawal_offers_only_the_purposes_the_person_granted(account):
    """Withdrawal: a choice among the consents on record, named in words."""
    client = login(account)
    empty = client.get("/privacy/requests/new/?type=withdrawal").content.decode()
    assert 'name="purpose"' not in empty and 'data-empty="purposes"' in empty
    consent.grant(actor=Actor.person(account.subject), subject=account.subject,
                  purpose="marketing.email", notice_text=NOTICE, channel=Channel.WEB)
    page = client.get("/privacy/requests/new/?type=withdrawal")
    main = page.content.decode().split("<main", 1)[1]
    options = re.findall(r'<option value="([^"]*)"', main)
    assert options == ["marketing.email"]
    assert 'name="categories"' not in page.content.decode()
    assert raw_codes(main_text(page)) == []


def test_i17_1_correction_and_complaint_forms_show_their_own_fields(account):
    client = login(account)
    correction = client.get("/privacy/requests/new/?type=correction").content.decode()
    assert 'name="field"' in correction and 'name="text"' in correction
    assert 'name="categories"' not in correction and 'name="purpose"' not in correction
    complaint = client.get("/privacy/requests/new/?type=complaint").content.decode()
    assert 'name="text"' in complaint and "Your complaint" in complaint
    assert 'name="field"' not in complaint and 'name="categories"' not in complaint


def test_i17_1_the_server_ignores_fields_of_another_type(account,
                                                         django_capture_on_commit_callbacks):
    """An access request posted with deletion and withdrawal fields records none of them."""
    client = login(account)
    response = _new(client, django_capture_on_commit_callbacks, type="access",
                    categories=["user.contact"], purpose="marketing.email", field="name")
    assert response.status_code == 302
    req = _only(account)
    assert req.type == "access" and req.params == {"lang": "en"}


def test_i17_1_form_labels_are_translated_in_chinese(account):
    """The same pages in Chinese: the type names, group names and labels are translated."""
    client = zh(login(account))
    step1 = client.get("/privacy/requests/new/").content.decode()
    assert "您要申请什么？" in step1 and "查阅（获取我的信息副本）" in step1
    deletion = client.get("/privacy/requests/new/?type=deletion")
    body = deletion.content.decode()
    assert "要删除的信息" in body and "联系方式" in body and "<legend>关于您</legend>" in body
    assert "Data to delete" not in body and "About you" not in body
    access = client.get("/privacy/requests/new/?type=access").content.decode()
    assert 'name="categories"' not in access and "提交请求" in access


# --- point 6: links follow the served address; one mail per event -----------------------------

def test_i17_6_site_url_follows_serve_bind_unless_set():
    """``serve --bind`` gives its children the address links must use; an explicit
    PIWARDEN_SITE_URL (a proxy's public address) wins; a unix socket sets nothing."""
    assert serve.child_env("0.0.0.0:9000", {})["PIWARDEN_SITE_URL"] == "http://127.0.0.1:9000"
    assert serve.child_env("10.1.2.3:8443", {})["PIWARDEN_SITE_URL"] == "http://10.1.2.3:8443"
    assert serve.child_env("[::1]:8001", {})["PIWARDEN_SITE_URL"] == "http://[::1]:8001"
    kept = serve.child_env("0.0.0.0:9000", {"PIWARDEN_SITE_URL": "https://privacy.example.cn"})
    assert kept["PIWARDEN_SITE_URL"] == "https://privacy.example.cn"
    assert "PIWARDEN_SITE_URL" not in serve.child_env("unix:/run/piwarden.sock", {})


def test_i17_6_site_url_follows_runserver_address():
    from piwarden.settings import _site_url_default

    assert _site_url_default(["piwarden", "runserver", "8123"]) == "http://127.0.0.1:8123"
    assert _site_url_default(["piwarden", "runserver", "0.0.0.0:9001"]) == "http://127.0.0.1:9001"
    assert _site_url_default(["piwarden", "runserver", "[::1]:8001"]) == "http://[::1]:8001"
    assert _site_url_default(["piwarden", "migrate"]) == "http://127.0.0.1:8000"


def test_i17_6_mail_links_use_the_served_address(account, settings,
                                                 django_capture_on_commit_callbacks):
    settings.PIWARDEN_SITE_URL = serve.child_env("0.0.0.0:9000", {})["PIWARDEN_SITE_URL"]
    _new(login(account), django_capture_on_commit_callbacks, type="complaint", text="Noise.")
    body = sent_mail()[-1].body
    assert f"http://127.0.0.1:9000/privacy/requests/{_only(account).pk}/" in body
    assert ":8000" not in body and notify.site_url() == "http://127.0.0.1:9000"


def test_i17_6_access_request_sends_one_mail_per_event(account,
                                                       django_capture_on_commit_callbacks):
    """Received, verified and in progress happen in the same second: one mail; the copy
    being ready is the next event: one mail. Not three mails at once."""
    client = login(account)
    _new(client, django_capture_on_commit_callbacks, type="access")
    req = _only(account)
    assert len(sent_mail()) == 1
    run_engine(django_capture_on_commit_callbacks, req)
    mails = sent_mail()
    assert len(mails) == 2
    assert [m.subject for m in mails] == ["Your privacy request: In progress",
                                          "Your privacy request: Completed"]
    assert "Received on" in mails[0].body and "exports" in mails[1].body


def test_i17_6_deletion_request_sends_one_mail_per_event(account,
                                                         django_capture_on_commit_callbacks):
    client = login(account)
    _new(client, django_capture_on_commit_callbacks, type="deletion",
         categories=["user.contact"])
    req = _only(account)
    assert len(sent_mail()) == 1
    run_engine(django_capture_on_commit_callbacks, req)
    assert len(sent_mail()) == 2


def test_i17_6_a_request_done_at_once_sends_one_mail(account,
                                                     django_capture_on_commit_callbacks):
    """A withdrawal completes in the same second it arrives: one mail, "Completed"."""
    consent.grant(actor=Actor.person(account.subject), subject=account.subject,
                  purpose="marketing.email", notice_text=NOTICE, channel=Channel.WEB)
    _new(login(account), django_capture_on_commit_callbacks, type="withdrawal",
         purpose="marketing.email")
    assert [m.subject for m in sent_mail()] == ["Your privacy request: Completed"]


def test_i17_6_staff_verification_is_one_mail(account, django_capture_on_commit_callbacks):
    """A request not verified at once: "received" is one mail; staff verifying it (verified
    and in progress together) is the next one."""
    with django_capture_on_commit_callbacks(execute=True):
        req = services.submit(actor=Actor.person(account.subject), subject=account.subject,
                              type="complaint", channel="api", params={}, text="Calls.")
    assert [m.subject for m in sent_mail()] == ["Your privacy request: Received"]
    with django_capture_on_commit_callbacks(execute=True):
        services.verify(actor=Actor.system("tests"), rights_request=req)
    assert [m.subject for m in sent_mail()][1:] == ["Your privacy request: In progress"]


# --- point 7: "My account" during the cooling-off ----------------------------------------------

def _cancel(client, capture):
    with capture(execute=True):
        client.post("/privacy/requests/cancel/", {"confirm": "on",
                                                  "notice_version": policy_version()})


def test_i17_7_my_account_says_when_the_account_will_be_deleted_with_the_undo(
        account, django_capture_on_commit_callbacks):
    client = login(account)
    assert "will be deleted" not in client.get("/account/").content.decode()
    _cancel(client, django_capture_on_commit_callbacks)
    req = _only(account)
    day = timezone.localtime(req.cooling_off_until,
                             datetime.timezone(datetime.timedelta(hours=8))).date()
    page = client.get("/account/").content.decode()
    assert f"Your account will be deleted on {day.isoformat()}." in page
    assert f'action="/privacy/requests/{req.pk}/withdraw/"' in page
    zh_page = zh(client).get("/account/").content.decode()
    assert f"您的账户将于{day.year}年{day.month}月{day.day}日注销" in zh_page
    assert "撤销注销" in zh_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/privacy/requests/{req.pk}/withdraw/")
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN
    assert "data-cancellation" not in client.get("/account/").content.decode()


def test_i17_7_undo_from_my_account_after_a_stale_login_returns_to_the_request(
        account, django_capture_on_commit_callbacks):
    """The undo button posts; with a stale identity check the person is sent to confirm it is
    them and back to the request page (where the button is), not to a POST-only URL."""
    client = login(account)
    _cancel(client, django_capture_on_commit_callbacks)
    req = _only(account)
    session = client.session
    session["accounts.reauth_at"] = (timezone.now() - datetime.timedelta(hours=1)).timestamp()
    session.save()
    response = client.post(f"/privacy/requests/{req.pk}/withdraw/")
    assert response.status_code == 302
    assert response.url == f"/account/reauth/?next=/privacy/requests/{req.pk}/"


# --- point 3/5: words, not codes, on the request and certificate pages -------------------------

def test_i17_5_request_detail_shows_words_and_china_time(account,
                                                         django_capture_on_commit_callbacks):
    client = login(account)
    _new(client, django_capture_on_commit_callbacks, type="deletion",
         categories=["user.address", "user.contact"])
    req = _only(account)
    run_engine(django_capture_on_commit_callbacks, req)
    for lang, words in (("en", "Address"), ("zh-hans", "地址")):
        client.cookies["django_language"] = lang
        page = client.get(req.get_absolute_url())
        text = main_text(page)
        assert words in text
        assert raw_codes(text) == [], raw_codes(text)
        assert "Params" not in text and '"lang"' not in text
    received = timezone.localtime(req.received_at,
                                  datetime.timezone(datetime.timedelta(hours=8)))
    client.cookies["django_language"] = "en"
    page = client.get(req.get_absolute_url()).content.decode()
    assert received.strftime("%Y-%m-%d %H:%M") in page


# --- point 11: the certificate link without an account -----------------------------------------

def _full_deletion(account, capture) -> tuple[RightsRequest, str]:
    """A deletion of everything; returns the request and the link path from the mail (the
    request's ``holder`` is the subject that kept the address while the erasure ran)."""
    client = login(account)
    _new(client, capture, type="deletion")
    req = _only(account)
    holder = req.contact_holder
    assert holder is not None and vault.masked(holder, "rights_contact")
    run_engine(capture, req)
    req.holder = holder
    assert req.status == RequestStatus.COMPLETED
    mail = sent_mail()[-1]
    assert mail.to == [account.test_email]
    found = re.search(r"https?://\S+/privacy/data/certificates/link/\S+/", mail.body)
    assert found, mail.body
    return req, urlsplit(found.group(0)).path


def test_i17_11_full_deletion_mail_link_opens_the_certificate_without_login(
        account, django_capture_on_commit_callbacks):
    req, path = _full_deletion(account, django_capture_on_commit_callbacks)
    account.subject.refresh_from_db()
    assert account.subject.status == SubjectStatus.ERASED
    assert str(req.erasure_run_id) not in path and account.test_email not in path
    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Deletion certificate" in body and 'href="?format=json"' in body
    assert "Your personal details" in body  # vault.values, in words
    assert raw_codes(main_text(page)) == [], raw_codes(main_text(page))
    as_json = anonymous.get(path + "?format=json")
    assert as_json.status_code == 200 and as_json.json()["run"] == str(req.erasure_run_id)
    chinese = zh(Client()).get(path)
    assert "删除证明" in chinese.content.decode()
    assert raw_codes(main_text(chinese)) == [], raw_codes(main_text(chinese))
    # the plain certificate address still asks for a login, which no longer exists
    assert anonymous.get(f"/privacy/data/certificates/{req.erasure_run_id}/").status_code == 302


def test_i17_11_link_lives_90_days_then_gives_a_clear_page(account,
                                                           django_capture_on_commit_callbacks):
    req, path = _full_deletion(account, django_capture_on_commit_callbacks)
    link = CertificateLink.objects.get(run_id=req.erasure_run_id)
    lifetime = link.expires_at - link.created_at
    assert abs(lifetime - datetime.timedelta(days=90)) < datetime.timedelta(seconds=5)
    CertificateLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))
    expired = Client().get(path)
    assert expired.status_code == 410
    body = expired.content.decode()
    assert 'data-link="expired"' in body and "90 days" in body
    assert "What was deleted" not in body
    assert Client().get(path + "?format=json").status_code == 410
    chinese = zh(Client()).get(path).content.decode()
    assert "链接已过期" in chinese
    # expired links are purged with the exports (their hash is of no use any more)
    from piwarden.subjectdata import services as subjectdata

    with django_capture_on_commit_callbacks(execute=True):
        subjectdata.expire_exports(actor=Actor.system("tests"))
    assert not CertificateLink.objects.filter(pk=link.pk).exists()


def test_i17_11_a_wrong_token_or_another_persons_token_shows_nothing(
        sign_up, django_capture_on_commit_callbacks):
    first, second = sign_up(), sign_up()
    req1, path1 = _full_deletion(first, django_capture_on_commit_callbacks)
    req2, path2 = _full_deletion(second, django_capture_on_commit_callbacks)
    assert path1 != path2
    assert Client().get(path1 + "?format=json").json()["run"] == str(req1.erasure_run_id)
    assert Client().get(path2 + "?format=json").json()["run"] == str(req2.erasure_run_id)
    wrong = Client().get("/privacy/data/certificates/link/" + "A" * 43 + "/")
    assert wrong.status_code == 404
    assert 'data-link="unknown"' in wrong.content.decode()
    assert "What was deleted" not in wrong.content.decode()
    tampered = path1[:-3] + ("x" if path1[-3] != "x" else "y") + path1[-2:]
    assert Client().get(tampered).status_code == 404
    assert zh(Client()).get(tampered).content.decode().count("链接无效") == 1


def test_i17_11_only_the_tokens_hash_is_stored_and_the_address_is_gone(
        account, django_capture_on_commit_callbacks):
    """The database holds the token's SHA-256, never the token; the address the mail went to
    is shredded once the mail is queued, and the outbox wipes its sealed copy once sent."""
    req, path = _full_deletion(account, django_capture_on_commit_callbacks)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    link = CertificateLink.objects.get(run_id=req.erasure_run_id)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not CertificateLink.objects.filter(token_hash=token).exists()
    holder = req.holder
    req.refresh_from_db()
    assert req.contact_holder_id is None
    holder.refresh_from_db()
    assert holder.status == SubjectStatus.ERASED
    assert vault.masked(holder, "rights_contact") is None
    assert vault.find_subject_ids("email", account.test_email) == []
    sent = Message.objects.filter(kind="rights.notice").order_by("-created_at").first()
    assert sent is not None and sent.status == "sent"
    assert account.test_email not in str(Message.objects.filter(pk=sent.pk).values().first())
