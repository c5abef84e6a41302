"""Staff TOTP (issue 16, V-5.1b / D-1.3): required for roles that unmask and superusers,
enrolled in the console, asked for after the password, not replayable, counted in the
lock-out, audited, and resettable by an administrator. Driven through the real login form."""

import time

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from piwarden.accounts.models import StaffSecondFactor, ThrottleEvent
from piwarden.audit.models import AuditEvent
from piwarden.roles import registry
from tests.roles.factories import grant_role

LOGIN, ENROL, INDEX = "/admin/login/", "/admin/second-factor/", "/admin/"
PASSWORD = "correct horse battery staple"


def make_staff(name, **fields):
    return get_user_model().objects.create_user(name, f"{name}@operator.test", PASSWORD,
                                                is_staff=True, **fields)


def log_in(client, username, otp="", password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password, "otp": otp,
                               "next": INDEX})


def enrol(client) -> pyotp.TOTP:
    page = client.get(ENROL)
    assert page.status_code == 200
    assert "<svg" in page.text.split('id="totp-qr"')[1][:40]  # the key as a QR code
    totp = pyotp.TOTP(page.context["secret"])
    totp.used_code = totp.now()  # the code the enrolment spent (a replay must fail)
    assert client.post(ENROL, {"code": totp.used_code}).status_code == 302
    return totp


def later_code(totp: pyotp.TOTP) -> str:
    """The next step's code (accepted for clock drift), so it is not the one just used."""
    return totp.at(time.time() + totp.interval)


@pytest.mark.django_db
def test_v_5_1b_superuser_must_enrol_before_any_console_page():
    make_staff("root", is_superuser=True)
    client = Client()
    assert log_in(client, "root").status_code == 302
    assert client.get(INDEX)["Location"] == ENROL
    assert client.get("/admin/auth/user/")["Location"] == ENROL
    assert client.get(ENROL).status_code == 200  # not locked out of enrolment
    totp = enrol(client)
    assert client.get(INDEX).status_code == 200
    assert AuditEvent.objects.filter(action="staff.totp_enrolled").count() == 1
    row = StaffSecondFactor.objects.get(user__username="root")
    assert totp.secret.encode() not in bytes(row.sealed)  # sealed, not plaintext


@pytest.mark.django_db
def test_v_5_1b_an_unmasking_role_needs_the_second_factor_and_other_staff_do_not():
    support = make_staff("support-agent")
    grant_role(support, "support")
    assert registry.get("support").unmasks
    client = Client()
    log_in(client, "support-agent")
    assert client.get(INDEX)["Location"] == ENROL
    auditor = make_staff("auditor-1")
    grant_role(auditor, "auditor")
    client = Client()
    log_in(client, "auditor-1")
    assert client.get(INDEX).status_code == 200


@pytest.mark.django_db
def test_v_5_1b_login_asks_for_the_code_after_the_password_and_refuses_a_replay():
    make_staff("root", is_superuser=True)
    client = Client()
    log_in(client, "root")
    totp = enrol(client)
    used = totp.used_code
    client.post("/admin/logout/")
    client = Client()
    asked = log_in(client, "root")
    assert asked.context["form"].has_error("__all__", "otp_required")
    replay = log_in(client, "root", otp=used)
    assert replay.status_code == 200 and client.get(INDEX).status_code == 302
    assert log_in(client, "root", otp=later_code(totp)).status_code == 302
    assert client.get(INDEX).status_code == 200
    login = AuditEvent.objects.filter(action="staff.login").last()
    assert login.detail["second_factor"] == "totp"
    assert AuditEvent.objects.filter(action="staff.totp_failed").count() == 1  # the replay


@pytest.mark.django_db
def test_v_5_1b_wrong_codes_count_toward_the_lock_out():
    make_staff("root", is_superuser=True)
    client = Client()
    log_in(client, "root")
    totp = enrol(client)
    for _ in range(5):
        assert log_in(Client(), "root", otp="000000").status_code == 200
    assert AuditEvent.objects.filter(action="staff.totp_failed").count() == 5
    locked = Client()
    assert log_in(locked, "root", otp=later_code(totp)).status_code == 200
    assert locked.get(INDEX).status_code == 302


@pytest.mark.django_db
def test_v_5_1b_an_administrator_resets_a_lost_authenticator_audited():
    make_staff("root", is_superuser=True)
    user_client = Client()
    log_in(user_client, "root")
    enrol(user_client)
    row = StaffSecondFactor.objects.get()
    make_staff("helpdesk")
    helper_client = Client()
    log_in(helper_client, "helpdesk")
    url = f"/admin/accounts/staffsecondfactor/{row.pk}/delete/"
    assert helper_client.post(url, {"post": "yes"}).status_code == 403
    admin_user = make_staff("admin-1")
    grant_role(admin_user, "administrator")
    admin_client = Client()
    admin_client.force_login(admin_user)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not StaffSecondFactor.objects.exists()
    reset = AuditEvent.objects.get(action="staff.totp_reset")
    assert reset.detail["staff_user"] == row.user_id
    client = Client()
    log_in(client, "root")  # no code asked any more; enrolment is required again
    assert client.get(INDEX)["Location"] == ENROL


@pytest.mark.django_db
def test_the_login_and_enrolment_pages_speak_chinese():
    make_staff("root", is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "验证码" in client.get(LOGIN).content.decode()
    log_in(client, "root")
    assert "设置身份验证器" in client.get(ENROL).content.decode()


def test_v_5_1b_staff_totp_in_a_browser(browser, live_url):
    """Chromium: password, sent to enrol, key confirmed, then the code asked at next login."""
    user = make_staff("browser-root", is_superuser=True)
    context = browser.new_context(base_url=live_url, locale="en-US")
    page = context.new_page()
    try:
        page.goto(LOGIN)
        page.fill("#id_username", "browser-root")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.goto(INDEX)
        assert page.url.endswith(ENROL)
        totp = pyotp.TOTP(page.inner_text("#totp-secret"))
        page.fill("#id_code", totp.now())
        page.click("#second-factor-form input[type=submit]")
        assert page.url.endswith(INDEX)
        context.clear_cookies()
        page.goto(LOGIN)
        page.fill("#id_username", "browser-root")
        page.fill("#id_password", PASSWORD)
        page.fill("#id_otp", later_code(totp))
        page.click("#login-form input[type=submit]")
        assert page.url.endswith(INDEX) and page.locator("#site-name").count() == 1
    finally:
        context.close()
        ThrottleEvent.objects.all().delete()
        user.delete()
