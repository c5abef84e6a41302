"""Sign-up and binding through the services (C-2.1.1a)."""

import pytest

from piwarden.accounts import services
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import Account, VerificationCode
from piwarden.audit.models import AuditEvent
from piwarden.vault import services as vault

from .conftest import PASSWORD, new_identity

pytestmark = pytest.mark.django_db


def test_sign_up_stores_pi_only_in_the_vault_and_sends_both_codes(
        django_capture_on_commit_callbacks, inbox, sms):
    """The User row has no PI, the password is Argon2id, and both codes really go out."""
    phone, email = new_identity()
    with django_capture_on_commit_callbacks(execute=True):
        account = services.sign_up(phone=phone, email=email, password=PASSWORD)
    user = account.user
    assert user.email == "" and user.first_name == "" and user.last_name == ""
    assert phone not in user.username and email not in user.username
    assert user.password.startswith("argon2$argon2id$")
    assert vault.masked(account.subject, "phone") == "139****" + phone[-4:]
    assert vault.find_subject_ids("email", email) == [account.subject_id]
    assert len(sms.code_for(phone)) == 6
    assert len(inbox.code_for(email)) == 6
    assert not account.is_bound
    assert account.subject.kind == "account_holder"
    assert AuditEvent.objects.filter(action="account.created", subject=account.subject).exists()


def test_codes_bind_the_account(account):
    assert account.is_bound


def test_codes_are_stored_as_digests_only(make_account, sms):
    account = make_account(bind=False)
    code = sms.code_for(account.test_phone)
    for row in VerificationCode.objects.filter(account=account):
        assert code not in row.digest and account.test_phone not in row.target_digest


@pytest.mark.parametrize("field, value, code", [
    ("phone", "", "PHONE_INVALID"),
    ("phone", "12345", "PHONE_INVALID"),
    ("phone", "+86 10 6552 9988", "PHONE_INVALID"),  # a landline cannot receive SMS
    ("email", "not-an-email", "EMAIL_INVALID"),
    ("password", "short1", "PASSWORD_WEAK"),
    ("password", "password123", "PASSWORD_WEAK"),
    ("password", "Password2024!", "PASSWORD_WEAK"),
    ("password", "12345678", "PASSWORD_WEAK"),
    ("password", "qwertyuiop", "PASSWORD_WEAK"),
    ("password", "abcabcabcabc", "PASSWORD_WEAK"),
    ("password", "19900101", "PASSWORD_WEAK"),
])
def test_sign_up_refuses_bad_input(field, value, code):
    phone, email = new_identity()
    data = {"phone": phone, "email": email, "password": PASSWORD, field: value}
    with pytest.raises(AccountError) as caught:
        services.sign_up(**data)
    assert caught.value.code == code
    assert not Account.objects.exists() or not vault.find_subject_ids("email", email)


def test_password_may_not_contain_the_phone_or_email_name():
    phone, email = new_identity()
    for password in (f"x{phone[-11:]}y", f"{email.split('@')[0]}-zebra"):
        with pytest.raises(AccountError) as caught:
            services.sign_up(phone=phone, email=email, password=password)
        assert "password_personal_data" in caught.value.detail["reasons"]


def test_a_long_passphrase_without_composition_rules_is_accepted():
    phone, email = new_identity()
    account = services.sign_up(phone=phone, email=email, password="lantern moss quietly")
    assert account.pk


def test_duplicate_phone_or_email_is_refused(account):
    _phone, email = new_identity()
    with pytest.raises(AccountError) as caught:
        services.sign_up(phone=account.test_phone, email=email, password=PASSWORD)
    assert caught.value.code == "ALREADY_REGISTERED" and caught.value.status == 409


def test_sign_up_attempts_are_limited_per_ip_refused_ones_included(account):
    for _attempt in range(10):
        _phone, email = new_identity()
        with pytest.raises(AccountError):
            services.sign_up(phone=account.test_phone, email=email, password=PASSWORD,
                             ip="10.7.7.7")
    phone, email = new_identity()
    with pytest.raises(AccountError) as caught:
        services.sign_up(phone=phone, email=email, password=PASSWORD, ip="10.7.7.7")
    assert caught.value.code == "RATE_LIMITED"
    assert services.sign_up(phone=phone, email=email, password=PASSWORD, ip="10.7.7.8")
