"""The account pages: every page works for its owner, asks strangers to log in, refuses bad
input with a 4xx and a code, and shows only masked values unless the person re-confirms."""

import datetime
import io
import re

import pyotp
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from piwarden.accounts import stepup
from piwarden.accounts.models import AccessToken, ProfileChange
from piwarden.vault import services as vault

from .conftest import PASSWORD, new_identity
from .test_avatar import jpeg_with_gps
from .test_id_info import ADULT_ID

pytestmark = pytest.mark.django_db


def page_client(account) -> Client:
    client = Client()
    response = client.post("/account/login/", {"identifier": account.test_phone,
                                               "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def expire(client):
    session = client.session
    session[stepup.SESSION_KEY] = (timezone.now() - datetime.timedelta(minutes=6)).timestamp()
    session.save()


def code_on(response) -> str:
    match = re.search(r'data-code="([A-Z_]+)"', response.content.decode())
    return match.group(1) if match else ""


def test_sign_up_and_bind_through_the_pages(inbox, sms, django_capture_on_commit_callbacks):
    client = Client()
    page = client.get("/account/signup/").content.decode()
    assert 'name="phone"' in page and 'name="email"' in page and 'name="password"' in page
    assert "name=\"name\"" not in page and "id_number" not in page and "address" not in page
    phone, email = new_identity()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/signup/", {"phone": phone, "email": email,
                                                    "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/verify/"
    page = client.get("/account/verify/").content.decode()
    assert phone not in page and email not in page
    wrong = "000000" if sms.code_for(phone) != "000000" else "111111"
    response = client.post("/account/verify/", {"channel": "phone", "code": wrong})
    assert response.status_code == 422 and code_on(response) == "CODE_INVALID"
    client.post("/account/verify/", {"channel": "phone", "code": sms.code_for(phone)})
    client.post("/account/verify/", {"channel": "email", "code": inbox.code_for(email)})
    home = client.get("/account/").content.decode()
    assert "Verify your phone" not in home
    assert f"139****{phone[-4:]}" in home and phone not in home
    assert 'href="/privacy/' in home  # Privacy choices, for withdrawal


def test_sign_up_page_refuses_bad_input():
    client = Client()
    phone, email = new_identity()
    for data, code in [({"phone": "1", "email": email, "password": PASSWORD}, "PHONE_INVALID"),
                       ({"phone": phone, "email": "x", "password": PASSWORD}, "EMAIL_INVALID"),
                       ({"phone": phone, "email": email, "password": "123"}, "PASSWORD_WEAK"),
                       ({"phone": phone, "email": email}, "VALIDATION_ERROR")]:
        response = client.post("/account/signup/", data)
        assert response.status_code == 422 and code_on(response) == code


def test_login_page_same_answer_for_unknown_and_wrong(account):
    wrong = Client().post("/account/login/", {"identifier": account.test_email,
                                              "password": "wrong-wrong"})
    unknown = Client().post("/account/login/", {"identifier": "no@example.cn",
                                                "password": "wrong-wrong"})
    assert wrong.status_code == unknown.status_code == 401
    assert code_on(wrong) == code_on(unknown) == "INVALID_CREDENTIALS"


def test_login_redirects_only_to_local_next(account):
    response = Client().post("/account/login/?next=https://evil.example/",
                             {"identifier": account.test_email, "password": PASSWORD})
    assert response["Location"] == "/account/"
    response = Client().post("/account/login/", {"identifier": account.test_email,
                                                 "password": PASSWORD,
                                                 "next": "/account/history/"})
    assert response["Location"] == "/account/history/"


def test_edit_pages(account):
    client = page_client(account)
    for field, value in [("user_name", "Fox"), ("name", "Ann Li"),
                         ("contact_other", "QQ 12345")]:
        assert client.get(f"/account/edit/{field}/").status_code == 200
        assert client.post(f"/account/edit/{field}/", {"value": value}).status_code == 302
    response = client.post("/account/address/", {
        "province": "北京市", "city": "北京市", "district": "朝阳区", "street": "建国路 8 号",
        "postcode": "100022"})
    assert response.status_code == 302
    home = client.get("/account/").content.decode()
    assert "Fox" in home and "Ann Li" not in home and "建国路" not in home
    history = client.get("/account/history/").content.decode()
    for label in ("User name", "Name", "Other contact", "Address"):
        assert label in history
    assert ProfileChange.objects.filter(account=account, channel="web").count() == 4


@pytest.mark.parametrize("url, data, code", [
    ("/account/edit/user_name/", {"value": "x"}, "USER_NAME_INVALID"),
    ("/account/edit/name/", {"value": "A1"}, "NAME_INVALID"),
    ("/account/edit/contact_other/", {"value": ""}, "VALIDATION_ERROR"),
    ("/account/address/", {"province": "a", "city": "b", "street": "c", "postcode": "1"},
     "ADDRESS_INVALID"),
    ("/account/password/", {"current_password": PASSWORD, "new_password": "aaaaaaaa"},
     "PASSWORD_WEAK"),
    ("/account/password/", {"current_password": "nope-nope", "new_password": "x-y-z-w-q-r"},
     "REAUTH_FAILED"),
    ("/account/contact/phone/", {"new_value": "12"}, "PHONE_INVALID"),
    ("/account/contact/email/", {"new_value": "bad"}, "EMAIL_INVALID"),
    ("/account/reauth/", {"password": "nope-nope"}, "REAUTH_FAILED"),
    ("/account/security/2fa/", {"code": "000000"}, "OTP_INVALID"),
    ("/account/security/tokens/", {"name": ""}, "VALIDATION_ERROR"),
    ("/account/services/", {"service": "invoicing"}, "FIELDS_MISSING"),
])
def test_pages_refuse_bad_input_with_a_code(account, url, data, code):
    client = page_client(account)
    client.get("/account/security/2fa/")  # starts a 2FA set-up, for the 2FA case
    response = client.post(url, data)
    assert 400 <= response.status_code < 500, response.status_code
    if code != "FIELDS_MISSING":
        assert code_on(response) == code
    else:
        assert code in response.content.decode()


def test_reveal_page_needs_a_fresh_check(account):
    client = page_client(account)
    expire(client)
    response = client.get("/account/reveal/phone/")
    assert response.status_code == 302 and response["Location"].startswith("/account/reauth/")
    response = client.post("/account/reauth/?next=/account/reveal/phone/",
                           {"password": PASSWORD})
    assert response["Location"] == "/account/reveal/phone/"
    assert account.test_phone in client.get("/account/reveal/phone/").content.decode()
    assert client.get("/account/reveal/password/").status_code == 404


def test_change_email_page_sends_a_code_to_the_new_address(
        account, inbox, django_capture_on_commit_callbacks):
    client = page_client(account)
    _phone, new_email = new_identity()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/contact/email/", {"new_value": new_email})
    assert response.status_code == 200
    response = client.post("/account/contact/email/", {"new_value": new_email,
                                                       "code": inbox.code_for(new_email)})
    assert response.status_code == 302
    assert vault.find_subject_ids("email", new_email) == [account.subject_id]


def test_password_page_ends_other_sessions(account):
    client, other = page_client(account), page_client(account)
    response = client.post("/account/password/", {"current_password": PASSWORD,
                                                  "new_password": "pepper-cloud-river"})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other.get("/account/")["Location"] == "/account/login/"


def test_avatar_page(account):
    client = page_client(account)
    assert client.get("/account/avatar/").status_code == 200
    upload = io.BytesIO(jpeg_with_gps())
    upload.name = "me.jpg"
    assert client.post("/account/avatar/", {"file": upload}).status_code == 302
    image = client.get("/account/avatar/image/")
    data = b"".join(image.streaming_content)
    assert not Image.open(io.BytesIO(data)).getexif()
    bad = io.BytesIO(b"not an image")
    bad.name = "x.png"
    response = client.post("/account/avatar/", {"file": bad})
    assert response.status_code == 422 and code_on(response) == "AVATAR_TYPE"
    assert client.post("/account/avatar/", {"delete": "1"}).status_code == 302
    assert client.get("/account/avatar/image/").status_code == 404


def test_id_page_only_for_a_service_that_needs_it(account):
    client = page_client(account)
    assert client.get("/account/id/").status_code == 404
    assert client.get("/account/id/?service=newsletter").status_code == 404
    page = client.get("/account/id/?service=invoicing")
    assert page.status_code == 200 and "Separate consent" in page.content.decode()
    data = {"id_type": "prc_resident_id", "id_number": ADULT_ID}
    response = client.post("/account/id/?service=invoicing", data)
    assert response.status_code == 422 and code_on(response) == "SEPARATE_CONSENT_REQUIRED"
    response = client.post("/account/id/?service=invoicing", {**data, "consent": "on"})
    assert response.status_code == 302
    assert vault.masked(account.subject, "id_number").startswith(ADULT_ID[:4])


def test_services_page(account):
    client = page_client(account)
    page = client.get("/account/services/").content.decode()
    assert "Invoices (fapiao)" in page and "ID information" in page
    assert client.post("/account/services/", {"service": "newsletter"}).status_code == 302
    assert client.post("/account/services/", {"service": "nope"}).status_code == 404


def test_two_factor_pages_and_tokens(account):
    client = page_client(account)
    page = client.get("/account/security/2fa/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/account/security/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and "recovery-codes" in response.content.decode()
    account.refresh_from_db()
    assert account.totp_enabled
    assert "On." in client.get("/account/security/").content.decode()
    response = client.post("/account/security/tokens/", {"name": "cli"})
    token = re.search(r'id="token">(pwa_[^<]+)<', response.content.decode()).group(1)
    assert Client().get("/api/v1/account/me",
                        HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    token_id = AccessToken.objects.get(account=account).pk
    assert client.post("/account/security/tokens/", {"revoke": token_id}).status_code == 302
    assert client.post("/account/security/2fa/", {"action": "disable"}).status_code == 302
    account.refresh_from_db()
    assert not account.totp_enabled


def test_log_out_of_all_sessions_page(account):
    first, second = page_client(account), page_client(account)
    assert first.post("/account/logout-all/").status_code == 302
    assert second.get("/account/").status_code == 302
    assert first.get("/account/").status_code == 302


def test_pages_in_simplified_chinese(account):
    client = page_client(account)
    page = client.get("/account/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "个人信息编辑" in page
    page = Client().get("/account/signup/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "手机号码" in page


PRIVATE_PAGES = ["/account/verify/", "/account/reauth/", "/account/reveal/phone/",
                 "/account/edit/name/", "/account/address/", "/account/contact/email/",
                 "/account/password/", "/account/avatar/", "/account/avatar/image/",
                 "/account/id/?service=invoicing", "/account/history/", "/account/services/",
                 "/account/security/", "/account/security/2fa/", "/account/security/tokens/"]


@pytest.mark.parametrize("url", PRIVATE_PAGES)
def test_private_pages_send_strangers_and_staff_to_log_in(url, admin_client):
    for client in (Client(), admin_client):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            "/account/login/")
        response = client.post(url, {"value": "x"})
        assert response.status_code == 302


def test_home_sends_strangers_to_log_in():
    assert Client().get("/account/")["Location"] == "/account/login/"


@pytest.mark.parametrize("url", PRIVATE_PAGES)
def test_another_persons_session_sees_none_of_alices_data(url, make_account):
    alice, mallory = make_account(), make_account()
    alice_client = page_client(alice)
    alice_client.post("/account/edit/name/", {"value": "Alice Wonder"})
    alice_client.post("/account/edit/user_name/", {"value": "alice_w"})
    mallory_client = page_client(mallory)
    response = mallory_client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    for secret in (alice.test_email, alice.test_phone, "Alice Wonder", "alice_w",
                   f"****{alice.test_phone[-4:]}"):
        assert secret not in text
    assert ProfileChange.objects.filter(account=alice).count() == 2


def test_staff_console_shows_accounts_masked(account, admin_client):
    page = admin_client.get("/admin/accounts/account/").content.decode()
    assert f"139****{account.test_phone[-4:]}" in page
    assert account.test_phone not in page and account.test_email not in page
    detail = admin_client.get(f"/admin/accounts/account/{account.pk}/change/")
    assert detail.status_code == 200
    assert admin_client.get("/admin/accounts/profilechange/").status_code == 200
    assert admin_client.get("/admin/accounts/guardianrequest/").status_code == 200


def test_guardian_page(account, inbox, django_capture_on_commit_callbacks):
    from .test_id_info import _child_id

    child_id = _child_id()
    client = page_client(account)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/id/?service=invoicing", {
            "id_type": "prc_resident_id", "id_number": child_id, "consent": "on",
            "guardian_email": "grandma@example.cn"})
    assert response.status_code == 302
    assert vault.masked(account.subject, "id_number") is None
    mail = [m for m in inbox.messages if "grandma@example.cn" in m["to"]][-1]["text"]
    path = re.search(r"(/account/guardian/[^/\s]+/)", mail).group(1)
    guardian = Client()
    assert guardian.get("/account/guardian/nope.nope/").status_code == 404
    page = guardian.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "单独同意" in page.content.decode()
    assert child_id not in page.content.decode()
    response = guardian.post(path, {"id_number": ADULT_ID, "consent": "on"})
    assert response.status_code == 422 and code_on(response) == "ID_MISMATCH"
    response = guardian.post(path, {"id_number": child_id})
    assert code_on(response) == "SEPARATE_CONSENT_REQUIRED"
    response = guardian.post(path, {"id_number": child_id, "consent": "on"})
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert vault.masked(account.subject, "id_number") is not None


def test_log_out_page(account):
    client = page_client(account)
    assert client.get("/account/logout/").status_code == 405
    assert client.post("/account/logout/").status_code == 302
    assert client.get("/account/")["Location"] == "/account/login/"
