"""Fixtures of the rights tests: real accounts (signed up and bound through the accounts
services, codes read from the locmem outbox and the SMS file), real consent, the real vault and
the real subjectdata engine (its task bodies run in the test).

E-mail and SMS leave through the outbox after the commit, delivered by the task worker: tests
read them through ``sent_mail()`` and ``sms_lines()``, which first deliver what is queued
(``send_queued``), as the worker would."""

import itertools
import json
import re

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from piwarden.accounts import services as accounts
from piwarden.audit.actors import Actor
from piwarden.caches import freshness
from piwarden.subjectdata import services as subjectdata
from piwarden.subjectdata.models import ErasureRun, ExportArchive
from piwarden.subjects.models import SubjectKind
from piwarden.subjects.services import create_subject
from piwarden.vault import services as vault
from tests.local_messages import route_messages_locally
from tests.outbox.sending import send_queued

PASSWORD = "violet-harbour-tram"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def rights_settings(settings, tmp_path):
    route_messages_locally(settings, tmp_path)
    settings.PIWARDEN_CANCELLATION_COOLING_OFF_DAYS = 7
    yield settings
    freshness.reset()


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def sent_mail() -> list:
    """Django's locmem outbox, once the outbox delivered what is queued (the worker's job)."""
    send_queued()
    return mail.outbox


def sms_lines(settings) -> list[dict]:
    """The SMS sent, once the outbox delivered what is queued (the worker's job)."""
    send_queued()
    path = settings.PIWARDEN_SMS_FILE
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def new_identity():
    n = next(_numbers)
    return f"+86135{n:04d}{n % 7}{n % 10}{n % 3}{n % 9}", f"rights{n}@example.cn"


@pytest.fixture
def sign_up(settings, django_capture_on_commit_callbacks):
    def make(phone=None, email=None):
        if phone is None:
            phone, email = new_identity()
        with django_capture_on_commit_callbacks(execute=True):
            account = accounts.sign_up(phone=phone, email=email, password=PASSWORD,
                                       ip="10.9.8.7")
        sms_code = code_in(next(m for m in reversed(sms_lines(settings))
                                if m["to"] == phone)["text"])
        mail_code = code_in(next(m for m in reversed(sent_mail()) if email in m.to).body)
        accounts.verify_contact(account=account, channel="phone", code=sms_code)
        accounts.verify_contact(account=account, channel="email", code=mail_code)
        account.refresh_from_db()
        account.test_phone, account.test_email = phone, email
        mail.outbox.clear()
        return account
    return make


@pytest.fixture
def account(sign_up):
    return sign_up()


def login(account) -> Client:
    """A browser session logged in through the login page (a fresh identity check)."""
    client = Client()
    response = client.post("/account/login/", {"identifier": account.test_phone,
                                               "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def browser_of():
    return login


@pytest.fixture
def make_lead(system_actor):
    """A person without an account: a lead who left a phone number."""
    def make():
        phone, _email = new_identity()
        with transaction.atomic():
            subject = create_subject(actor=system_actor, kind=SubjectKind.LEAD)
            vault.put(actor=system_actor, subject=subject, field="phone", value=phone,
                      purpose="lead.callback")
        subject.test_phone = phone
        return subject
    return make


def run_engine(capture, req) -> None:
    """Run what the task worker would: the export build or the erasure run of a request."""
    req.refresh_from_db()
    with capture(execute=True):
        if req.export_archive_id:
            subjectdata.build_export(archive_id=req.export_archive_id)
        if req.erasure_run_id:
            subjectdata.run_erasure(run_id=req.erasure_run_id)
    req.refresh_from_db()


PERSON = Actor.system("tests")
__all__ = ["ErasureRun", "ExportArchive"]
