"""Egress control (Z-2) against real local HTTP servers, and the CSP from the registry (K-3.2).

127.0.0.1 is declared by ``processor.messaging`` (and other named recipients); 127.0.0.2 is
this machine too, but no recipient declares it.
"""

import re

import pytest
from django.core import mail
from django.db import transaction

from piwarden.accounts import services as accounts
from piwarden.accounts import sms
from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.sharing import egress
from piwarden.sharing.models import Counterparty, Flow
from tests.outbox.sending import send_queued
from tests.receiver import Receiver

JOB = Actor.system("tests.job")


@pytest.fixture
def registered():
    with Receiver("127.0.0.1") as server:
        yield server


@pytest.fixture
def unregistered():
    with Receiver("127.0.0.2") as server:
        yield server


def activate(activity: str, recipient: str, basis: str):
    Counterparty.objects.update_or_create(recipient=recipient, defaults={"status": "active"})
    Flow.objects.update_or_create(activity=activity, recipient=recipient, defaults={
        "status": "active", "legal_basis": basis, "categories": ["user.contact.phone"]})


@pytest.fixture
def messaging(named_catalog):
    """processor.messaging is active: its hosts 127.0.0.1 and sms.example.cn may receive PI."""
    activate("account.verification_codes", "processor.messaging", "contract")


@pytest.fixture
def mail_through_egress(settings):
    """EMAIL_BACKEND is egress control (pytest-django replaces it by locmem), delivering to
    Django's locmem outbox."""
    settings.EMAIL_BACKEND = "piwarden.sharing.egress.EmailBackend"
    settings.PIWARDEN_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


def refusals(host: str):
    return Alert.objects.filter(kind="egress.refused", detail__host=host)


def denied_records():
    return AuditEvent.objects.filter(action="sharing.egress_refused", outcome="denied")


# --- HTTP ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_z_2_job_posting_to_unregistered_host_is_blocked_with_alert(messaging, unregistered):
    """A job POSTs records to a host no recipient declares: refused before a connection opens,
    a high alert names the host and the job, and the denial is in the audit trail."""
    with egress.Client(actor=JOB) as http, pytest.raises(egress.EgressRefused) as refused:
        http.post(unregistered.url("/upload"), json={"records": [{"id": 1}]})
    assert (refused.value.code, refused.value.status) == ("EGRESS_REFUSED", 403)
    assert unregistered.connections == 0 and unregistered.received == []
    alert = refusals("127.0.0.2").get()
    assert (alert.severity, alert.status, alert.source) == ("high", "open", "system:tests.job")
    record = denied_records().get()
    assert (record.actor_id, record.object_id) == ("tests.job", str(alert.pk))
    assert record.detail == {"channel": "http", "host": "127.0.0.2", "reason": "unregistered"}


@pytest.mark.django_db
def test_z_2_redirect_to_unregistered_host_is_blocked(messaging, registered, unregistered):
    """The registered host answers 302 to an unregistered one: the redirect is refused like a
    first request, and the second server sees nothing."""
    registered.redirects["/upload"] = (302, unregistered.url("/stolen"))
    with egress.Client(actor=JOB) as http, pytest.raises(egress.EgressRefused):
        http.post(registered.url("/upload"), content=b"records")
    assert [(r.method, r.path) for r in registered.received] == [("POST", "/upload")]
    assert unregistered.connections == 0 and unregistered.received == []
    assert refusals("127.0.0.2").get().detail["hop"] == 1
    assert denied_records().count() == 1


@pytest.mark.django_db
def test_z_2_registered_host_receives_and_redirects_stay_within_registered_hosts(
        messaging, registered):
    """An active recipient's host gets the request; a 307 to a registered host is followed
    (body kept), at most ``max_redirects`` times; nothing is refused or alerted."""
    registered.redirects["/upload"] = (307, "/upload-here")
    with egress.Client(actor=JOB) as http:
        response = http.post(registered.url("/upload"), content=b"records")
    assert (response.status_code, response.text) == (200, "{}")
    assert [(r.method, r.path, r.raw) for r in registered.received] == [
        ("POST", "/upload", b"records"), ("POST", "/upload-here", b"records")]
    registered.redirects["/loop"] = (302, "/loop")
    with egress.Client(actor=JOB, max_redirects=2) as http, pytest.raises(
            egress.httpx.TooManyRedirects):
        http.get(registered.url("/loop"))
    assert len(registered.received) == 2 + 3
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_z_2_recipient_without_an_active_flow_receives_nothing(named_catalog, registered):
    """Declared hosts count only while the recipient and one of its flows are active."""
    activate("account.verification_codes", "processor.messaging", "contract")
    Flow.objects.filter(recipient="processor.messaging").update(status="suspended")
    with pytest.raises(egress.EgressRefused):
        egress.post(registered.url("/upload"), actor=JOB, content=b"records")
    assert registered.connections == 0
    assert refusals("127.0.0.1").exists()


@pytest.mark.django_db
def test_z_2_plain_http_leaves_only_for_loopback_hosts(messaging):
    """sms.example.cn is registered, but PI never travels to it unencrypted."""
    with pytest.raises(egress.EgressRefused) as refused:
        egress.post("http://sms.example.cn/send", actor=JOB, content=b"records")
    assert refused.value.detail["reason"] == "insecure"
    assert refusals("sms.example.cn").exists()


@pytest.mark.django_db
def test_z_2_egress_does_not_run_inside_a_transaction(messaging, registered):
    """PI leaves after the commit that decided to send it, so a refusal can commit on its own;
    a send from inside an atomic block is a programming error, and nothing leaves."""
    with transaction.atomic(), pytest.raises(egress.EgressError):
        egress.post(registered.url("/upload"), actor=JOB, content=b"records")
    assert registered.connections == 0


# --- e-mail and SMS ------------------------------------------------------------------------

@pytest.mark.django_db
def test_z_2_mail_to_an_unregistered_third_party_is_refused_and_not_sent(
        messaging, mail_through_egress):
    """An undeclared audience is another party: its domain must be a registered host."""
    with pytest.raises(egress.EgressRefused):
        mail.send_mail("Customer list", "records", None, ["bob@vendor.example.com"])
    assert mail.outbox == []
    assert refusals("vendor.example.com").get().detail["channel"] == "email"
    mail.send_mail("Customer list", "records", None, ["dpo@sms.example.cn"])
    assert [m.to for m in mail.outbox] == [["dpo@sms.example.cn"]]


@pytest.mark.django_db
def test_z_2_a_batch_with_one_refused_message_sends_none(messaging, mail_through_egress):
    allowed = mail.EmailMessage("a", "b", None, ["dpo@sms.example.cn"])
    refused = mail.EmailMessage("a", "b", None, ["x@vendor.example.com"],
                                headers={"X-Audience": "person"})  # headers declare nothing
    with pytest.raises(egress.EgressRefused):
        mail.get_connection().send_messages([allowed, refused])
    assert mail.outbox == []


@pytest.mark.django_db
def test_z_2_verification_code_mail_to_the_person_still_goes_out(
        db, mail_through_egress, settings, tmp_path, django_capture_on_commit_callbacks):
    """Sign-up codes go to the person's own address and phone, registered host or not."""
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.FileBackend"
    settings.PIWARDEN_SMS_FILE = tmp_path / "sms.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        accounts.sign_up(phone="+8613912345678", email="mei@mail.example.net",
                         password="violet-harbour-tram", ip="10.0.0.1")
    send_queued()  # the codes leave through the outbox: deliver them, as the worker would
    assert [m.to for m in mail.outbox] == [["mei@mail.example.net"]]
    assert re.search(r"\b\d{6}\b", mail.outbox[0].body)
    assert "+8613912345678" in settings.PIWARDEN_SMS_FILE.read_text()
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_z_2_staff_audience_is_checked_against_staff_accounts(db, mail_through_egress,
                                                                django_user_model):
    """Mail declared for staff passes for active staff accounts' addresses only; mail for the
    person covers one address."""
    django_user_model.objects.create_user("officer", "Officer@Operator.example", "x",
                                          is_staff=True)
    egress.send_mail("Deadline", "text", ["officer@operator.example"],
                     audience=egress.Audience.STAFF, source="tests")
    assert len(mail.outbox) == 1
    for audience, to in ((egress.Audience.STAFF, ["officer@operator.example",
                                                  "friend@outside.example"]),
                         (egress.Audience.PERSON, ["a@outside.example", "b@outside.example"])):
        with pytest.raises(egress.EgressRefused):
            egress.send_mail("x", "y", to, audience=audience, source="tests")
    assert len(mail.outbox) == 1
    assert refusals("outside.example").count() == 2


@pytest.mark.django_db
def test_z_2_sms_goes_only_to_the_person(db, settings, tmp_path):
    """A phone number names no host a recipient could declare: only the person gets SMS."""
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.FileBackend"
    settings.PIWARDEN_SMS_FILE = tmp_path / "sms.jsonl"
    with pytest.raises(egress.EgressRefused):
        sms.send_sms("+8613900000001", "records")
    assert not settings.PIWARDEN_SMS_FILE.exists()
    assert Alert.objects.get(kind="egress.refused").detail["channel"] == "sms"
    sms.send_sms("+8613900000001", "your code", audience=egress.Audience.PERSON)
    assert "your code" in settings.PIWARDEN_SMS_FILE.read_text()


# --- browser scripts (K-3.2) ---------------------------------------------------------------

def _policy(client, path="/privacy/cookies/") -> dict[str, list[str]]:
    response = client.get(path)
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split("; "))}


@pytest.mark.django_db
def test_k_3_2_csp_script_src_comes_from_registry(named_catalog, client):
    """A third-party script origin is allowed only while its vendor is an active recipient with
    an active flow; the website reads the same list from the public endpoint."""
    def published():
        return client.get("/api/v1/sharing/script-hosts").json()["script_src"]

    policy = _policy(client)
    assert policy["script-src"][0] == "'self'" and policy["script-src"][1].startswith("'nonce-")
    assert "https://cdn.ads.example.cn" not in policy["script-src"]
    assert published() == []
    assert (policy["default-src"], policy["object-src"], policy["frame-ancestors"],
            policy["base-uri"]) == (["'self'"], ["'none'"], ["'none'"], ["'self'"])

    activate("cookies.partner_advertising", "partner.advertising", "consent.separate")
    assert "https://cdn.ads.example.cn" in _policy(client)["script-src"]
    assert "https://cdn.ads.example.cn" in _policy(client, "/")["script-src"]
    assert published() == ["https://cdn.ads.example.cn"]

    Counterparty.objects.filter(recipient="partner.advertising").update(status="suspended")
    assert "https://cdn.ads.example.cn" not in _policy(client)["script-src"]
    assert published() == []


@pytest.mark.django_db
def test_k_3_2_inline_scripts_and_styles_carry_the_nonce(db, client):
    """Every inline <script> and <style> of a page carries the nonce of its CSP header (scripts
    from piwarden's own static files need none)."""
    for path in ("/", "/privacy/cookies/"):
        response = client.get(path)
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        page = response.content.decode()
        inline = [tag for tag in re.findall(r"<(?:script|style)\b[^>]*>", page)
                  if " src=" not in tag]
        assert inline and all(f'nonce="{nonce}"' in tag for tag in inline), (path, inline)
        assert not re.search(r"\son[a-z]+=\"", page), path  # no inline event handlers


def test_k_3_2_pages_run_under_the_csp_without_violations(browser, live_url):
    """The pages, the banner (its style too), the language switch, the console and the API
    docs work with nothing blocked: Chromium reports every CSP violation on the console."""
    context = browser.new_context(base_url=live_url, locale="en-US")
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    try:
        for path in ("/", "/privacy/cookies/", "/admin/login/", "/api/v1/docs"):
            page.goto(path)
            page.wait_for_load_state("networkidle")
        page.goto("/privacy/cookies/")
        page.get_by_role("button", name="Reject all").wait_for()
        assert page.locator(".pw-banner").evaluate("e => getComputedStyle(e).position") == "fixed"
        page.select_option("#language", "zh-hans")
        page.get_by_role("button", name="全部拒绝").wait_for()
    finally:
        context.close()
    assert violations == []
