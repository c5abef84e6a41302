"""Fixtures of the accounts tests: a real local SMTP server, the SMS file backend, and
helpers that sign up and log in through the services the pages and the API use.

Codes leave through the outbox after the commit, delivered by the task worker: reading the
inbox or the SMS file first delivers what is queued (``send_queued``), as the worker would."""

import json
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from piwarden.accounts import services
from tests.outbox.sending import send_queued

PASSWORD = "violet-harbour-tram"


class _Handler:
    """The SMTP server's handler: keeps each message received as its raw text."""

    def __init__(self, received: list):
        self.received = received

    async def handle_DATA(self, server, session, envelope):  # the hook name aiosmtpd calls
        self.received.append({"to": list(envelope.rcpt_tos),
                              "text": envelope.content.decode("utf-8", "replace")})
        return "250 Message accepted for delivery"


class _Inbox:
    """What the SMTP server received."""

    def __init__(self):
        self.received = []

    @property
    def messages(self) -> list[dict]:
        """What arrived, once the outbox delivered what is queued (the worker's job)."""
        send_queued()
        return self.received

    def code_for(self, address: str) -> str:
        for message in reversed(self.messages):
            if address.lower() in [a.lower() for a in message["to"]]:
                return re.search(r"\b(\d{6})\b", message["text"]).group(1)
        raise AssertionError(f"no e-mail to {address}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    inbox = _Inbox()
    controller = Controller(_Handler(inbox.received), hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def inbox(smtp_server):
    _controller, box = smtp_server
    box.received.clear()
    return box


class _SmsFile:
    def __init__(self, path):
        self.path = path

    def lines(self) -> list[dict]:
        """The SMS sent, once the outbox delivered what is queued (the worker's job)."""
        send_queued()
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]

    def code_for(self, phone: str) -> str:
        for line in reversed(self.lines()):
            if line["to"] == phone:
                return re.search(r"\b(\d{6})\b", line["text"]).group(1)
        raise AssertionError(f"no SMS to {phone}")


@pytest.fixture(autouse=True)
def account_settings(settings, smtp_server, tmp_path):
    """Real SMTP to the local server, SMS to a file, avatars to a temporary folder."""
    controller, _box = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "no-reply@piwarden.test"
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.FileBackend"
    settings.PIWARDEN_SMS_FILE = tmp_path / "sms.jsonl"
    settings.PIWARDEN_AVATAR_DIR = tmp_path / "avatars"
    return settings


@pytest.fixture
def sms(account_settings):
    return _SmsFile(account_settings.PIWARDEN_SMS_FILE)


_counter = iter(range(10_000_000))


def new_identity():
    n = next(_counter)
    return f"+86139{n:08d}", f"person{n}@example.cn"


@pytest.fixture
def make_account(django_capture_on_commit_callbacks, inbox, sms):
    """Sign up (codes really sent), and bind both channels with the received codes."""

    def make(bind=True):
        phone, email = new_identity()
        with django_capture_on_commit_callbacks(execute=True):
            account = services.sign_up(phone=phone, email=email, password=PASSWORD,
                                       ip="10.0.0.1")
        if bind:
            services.verify_contact(account=account, channel="phone",
                                    code=sms.code_for(phone))
            services.verify_contact(account=account, channel="email",
                                    code=inbox.code_for(email))
            account.refresh_from_db()
        account.test_phone, account.test_email = phone, email
        return account

    return make


@pytest.fixture
def account(make_account):
    return make_account()


def logged_in_client(account) -> Client:
    client = Client()
    response = client.post("/api/v1/account/login",
                           {"identifier": account.test_email, "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return client


@pytest.fixture
def client_for():
    return logged_in_client
