"""Fixtures of the outbox tests: the named catalog with one active flow, so that egress lets
messages through to the local receiver (127.0.0.1 is a host of partner.business); a real local
SMTP server that answers as told; the SMS file backend."""

import email
import email.policy
import json
import socket
import time

import pytest
from aiosmtpd.controller import Controller

from tests.receiver import Receiver
from tests.sharing.conftest import (  # noqa: F401  (fixtures)
    _sharing_dir,
    activate,
    named_catalog,
    registry_synced,
)


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run when enqueued (after the commit that queues them), in this process."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def open_egress(request):
    """An active processor whose declared hosts include 127.0.0.1."""
    return request.getfixturevalue("activate")("sharing.processors", "partner.business")


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


class SmtpHandler:
    """The SMTP server's handler: keeps every message it is given (recipients, parsed
    message) and answers each DATA with the next of ``answers`` ("451 ...", "550 ..."), then
    "250". ``delay`` seconds pass before each answer (a slow server)."""

    def __init__(self):
        self.received, self.answers, self.delay = [], [], 0.0

    async def handle_DATA(self, server, session, envelope):  # the hook name aiosmtpd calls
        self.received.append({"to": list(envelope.rcpt_tos), "message": email.message_from_bytes(
            envelope.content, policy=email.policy.default)})
        if self.delay:
            time.sleep(self.delay)  # holds the server's loop, as a slow server would
        return self.answers.pop(0) if self.answers else "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_controller():
    handler = SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp(settings, _smtp_controller):
    """Mail goes through egress control to the local SMTP server (the production path)."""
    controller, handler = _smtp_controller
    handler.received.clear()
    handler.answers.clear()
    handler.delay = 0.0
    settings.EMAIL_BACKEND = "piwarden.sharing.egress.EmailBackend"
    settings.PIWARDEN_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "piwarden <no-reply@operator.example>"
    return handler


class SmsFile:
    def __init__(self, path):
        self.path = path

    def lines(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.PIWARDEN_SMS_BACKEND = "piwarden.accounts.sms.FileBackend"
    settings.PIWARDEN_SMS_FILE = tmp_path / "sms.jsonl"
    return SmsFile(settings.PIWARDEN_SMS_FILE)
