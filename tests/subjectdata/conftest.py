"""Fixtures of the export and erasure tests: real accounts (signed up and bound through the
accounts services, codes read from the locmem outbox and the SMS file), real vault values and
real consent events."""

import itertools
import json
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from piwarden.accounts import services as accounts
from piwarden.accounts import stepup
from piwarden.accounts.models import Account
from piwarden.audit.actors import Actor
from piwarden.consent import services as consent
from tests.outbox.sending import send_queued

PASSWORD = "violet-harbour-tram"
NOTICE = "We send you offers by e-mail. You can withdraw at any time."
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def subjectdata_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.FileBackend"
    settings.PIWARDEN_SMS_FILE = tmp_path / "sms.jsonl"
    settings.PIWARDEN_AVATAR_DIR = tmp_path / "avatars"
    settings.PIWARDEN_EXPORT_DIR = tmp_path / "exports"
    return settings


def _code(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def sign_up(settings, capture, phone: str, email: str) -> Account:
    with capture(execute=True):
        account = accounts.sign_up(phone=phone, email=email, password=PASSWORD, ip="10.1.2.3")
    send_queued()  # the codes leave through the outbox: deliver them, as the worker would
    sms = [json.loads(line) for line in settings.PIWARDEN_SMS_FILE.read_text().splitlines()]
    sms_code = _code(next(m for m in reversed(sms) if m["to"] == phone)["text"])
    mail_code = _code(next(m for m in reversed(mail.outbox) if email in m.to).body)
    accounts.verify_contact(account=account, channel="phone", code=sms_code)
    accounts.verify_contact(account=account, channel="email", code=mail_code)
    account.refresh_from_db()
    return account


@pytest.fixture
def make_person(settings, django_capture_on_commit_callbacks):
    """An account holder with a name, an address, a marketing consent and its withdrawal."""

    def make():
        n = next(_numbers)
        phone, email = f"+86137{n:04d}{n % 7}{n % 10}{n % 3}{n % 9}", f"subject{n}@example.cn"
        name = "张" + "".join("零一二三四五六七八九"[int(d)] for d in str(n)) + "明"
        account = sign_up(settings, django_capture_on_commit_callbacks, phone, email)
        subject = account.subject
        actor = Actor.person(subject)
        accounts.set_field(account=account, field="name", value=name)
        accounts.set_field(account=account, field="user_name", value=f"dragon{n}")
        consent.grant(actor=actor, subject=subject, purpose="marketing.email",
                      notice_text=NOTICE, channel="web", ip="203.0.113.77",
                      user_agent="Mozilla/5.0 TestBrowser")
        consent.withdraw(actor=actor, subject=subject, purpose="marketing.email",
                         notice_text=NOTICE, channel="web", ip="203.0.113.77",
                         user_agent="Mozilla/5.0 TestBrowser")
        accounts.create_token(account=account, name="my laptop")
        account.test_phone, account.test_email, account.test_name = phone, email, name
        return account

    return make


@pytest.fixture
def person(make_person):
    return make_person()


@pytest.fixture
def other(make_person):
    return make_person()


def logged_in(account, *, fresh: bool = True) -> Client:
    client = Client()
    response = client.post("/api/v1/account/login",
                           {"identifier": account.test_email, "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    if fresh:
        response = client.post("/account/reauth/", {"password": PASSWORD})
        assert response.status_code == 302, response.content
    else:  # the login's own identity check was six minutes ago
        session = client.session
        session[stepup.SESSION_KEY] = timezone.now().timestamp() - 360
        session.save()
    return client
