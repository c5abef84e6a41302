"""Logging in: by phone or e-mail, lock-out by account and by IP, no account enumeration."""

import pytest

from piwarden.accounts import services
from piwarden.accounts.errors import AccountError

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _refusal(**kwargs) -> AccountError:
    with pytest.raises(AccountError) as caught:
        services.log_in(**kwargs)
    return caught.value


def test_log_in_by_phone_in_any_format_or_by_email(account):
    national = account.test_phone[3:]
    for identifier in (account.test_phone, national, f"{national[:3]} {national[3:7]} "
                       f"{national[7:]}", account.test_email.upper()):
        assert services.log_in(identifier=identifier, password=PASSWORD) == account


def test_unknown_account_and_wrong_password_get_the_same_answer(account):
    wrong = _refusal(identifier=account.test_email, password="not-the-password")
    unknown = _refusal(identifier="nobody@example.cn", password="not-the-password")
    garbage = _refusal(identifier="???", password="x")
    assert (wrong.code, wrong.message, wrong.status) == (unknown.code, unknown.message,
                                                         unknown.status)
    assert garbage.code == wrong.code == "INVALID_CREDENTIALS"


def test_five_failures_lock_the_identifier_even_with_the_right_password(account):
    for _attempt in range(5):
        _refusal(identifier=account.test_email, password="wrong-password-1", ip="10.1.1.1")
    locked = _refusal(identifier=account.test_email, password=PASSWORD, ip="10.1.1.2")
    assert locked.code == "LOCKED_OUT" and locked.status == 429
    # the phone number is another identifier; the account is still reachable that way
    assert services.log_in(identifier=account.test_phone, password=PASSWORD, ip="10.1.1.3")


def test_an_unknown_identifier_locks_the_same_way(account):
    for _attempt in range(5):
        _refusal(identifier="ghost@example.cn", password="whatever-1")
    assert _refusal(identifier="ghost@example.cn", password="whatever-1").code == "LOCKED_OUT"


def test_twenty_failures_from_one_ip_lock_that_ip(account):
    for n in range(20):
        _refusal(identifier=f"x{n}@example.cn", password="whatever-1", ip="10.9.9.9")
    refused = _refusal(identifier=account.test_email, password=PASSWORD, ip="10.9.9.9")
    assert refused.code == "LOCKED_OUT"
    assert services.log_in(identifier=account.test_email, password=PASSWORD, ip="10.9.9.8")


def test_success_clears_the_failures_of_the_identifier(account):
    for _attempt in range(4):
        _refusal(identifier=account.test_email, password="wrong-password-1")
    services.log_in(identifier=account.test_email, password=PASSWORD)
    for _attempt in range(4):
        _refusal(identifier=account.test_email, password="wrong-password-1")
    assert services.log_in(identifier=account.test_email, password=PASSWORD) == account


def test_inactive_user_cannot_log_in(account):
    account.user.is_active = False
    account.user.save()
    assert _refusal(identifier=account.test_email, password=PASSWORD).code == \
        "INVALID_CREDENTIALS"


def test_a_locked_out_attempt_is_refused_before_any_password_hashing(account, monkeypatch):
    """A flood of locked-out attempts costs no Argon2 run each (hostile test, issue 16)."""
    for _attempt in range(5):
        _refusal(identifier=account.test_email, password="wrong-password-1", ip="10.1.1.1")
    hashed = []
    monkeypatch.setattr(services, "check_password", lambda *a, **k: hashed.append(1))
    monkeypatch.setattr(type(account.user), "check_password",
                        lambda *a, **k: hashed.append(1))
    assert _refusal(identifier=account.test_email, password=PASSWORD).code == "LOCKED_OUT"
    assert hashed == []
