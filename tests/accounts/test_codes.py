"""One-time codes: hashed, bound to their value, 10-minute expiry, 5 attempts, resend limits."""

import datetime

import pytest
from django.utils import timezone

from piwarden.accounts import services
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import ThrottleEvent, VerificationCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def unbound(make_account):
    return make_account(bind=False)


def _refusal(**kwargs) -> str:
    with pytest.raises(AccountError) as caught:
        services.verify_contact(**kwargs)
    return caught.value.code


def test_a_wrong_code_is_counted_and_five_wrong_codes_burn_it(unbound, sms):
    right = sms.code_for(unbound.test_phone)
    wrong = "000000" if right != "000000" else "111111"
    for _attempt in range(4):
        assert _refusal(account=unbound, channel="phone", code=wrong) == "CODE_INVALID"
    assert _refusal(account=unbound, channel="phone", code=wrong) == "CODE_ATTEMPTS_EXCEEDED"
    assert _refusal(account=unbound, channel="phone", code=right) == "CODE_ATTEMPTS_EXCEEDED"
    row = VerificationCode.objects.get(account=unbound, channel="phone")
    assert row.attempts == 5


def test_an_expired_code_is_refused(unbound, sms):
    VerificationCode.objects.filter(account=unbound).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))
    code = sms.code_for(unbound.test_phone)
    assert _refusal(account=unbound, channel="phone", code=code) == "CODE_EXPIRED"


def test_a_code_works_once(unbound, inbox):
    code = inbox.code_for(unbound.test_email)
    services.verify_contact(account=unbound, channel="email", code=code)
    assert _refusal(account=unbound, channel="email", code=code) == "CODE_INVALID"


def test_resending_waits_a_minute_and_is_limited_per_hour(
        unbound, sms, django_capture_on_commit_callbacks):
    with pytest.raises(AccountError) as caught:
        services.send_code(account=unbound, channel="phone")
    assert caught.value.code == "RATE_LIMITED" and caught.value.status == 429
    assert caught.value.detail["retry_after"] > 0
    for _round in range(4):
        VerificationCode.objects.filter(account=unbound).update(
            created_at=timezone.now() - datetime.timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True):
            services.send_code(account=unbound, channel="phone")
    VerificationCode.objects.filter(account=unbound).update(
        created_at=timezone.now() - datetime.timedelta(minutes=2))
    with pytest.raises(AccountError) as caught:
        services.send_code(account=unbound, channel="phone")
    assert caught.value.code == "RATE_LIMITED"
    assert len([m for m in sms.lines() if m["to"] == unbound.test_phone]) == 5
    assert ThrottleEvent.objects.filter(scope="code_target").count() >= 5


def test_a_new_code_replaces_the_old_one(unbound, sms, django_capture_on_commit_callbacks):
    old = sms.code_for(unbound.test_phone)
    VerificationCode.objects.filter(account=unbound).update(
        created_at=timezone.now() - datetime.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        services.send_code(account=unbound, channel="phone")
    new = sms.code_for(unbound.test_phone)
    if old != new:
        assert _refusal(account=unbound, channel="phone", code=old) == "CODE_INVALID"
    services.verify_contact(account=unbound, channel="phone", code=new)


def test_unknown_channel_is_refused(unbound):
    assert _refusal(account=unbound, channel="fax", code="123456") == "CHANNEL_INVALID"
