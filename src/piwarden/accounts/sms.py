"""Sending SMS: a small backend interface, chosen by ``PIWARDEN_SMS_BACKEND``.

Code that wants an SMS to leave queues it with ``outbox.services.enqueue_sms``; the outbox
calls ``send_sms`` here after the commit. A production deployment plugs in its SMS gateway (a
processor, catalog ``processor.messaging``) by writing a class with
``send(phone, text, *, idempotency_key="")`` that calls the gateway through
``sharing.egress.Client`` (passing the key on where the gateway takes a client reference, so
it can drop a repeat). Backends never log the number or the text. Egress control checks every
message first: only the person themself receives an SMS.
"""

import json
import logging
import sys

from django.utils import timezone
from django.utils.module_loading import import_string

from piwarden.accounts import conf, message_files
from piwarden.sharing import egress

log = logging.getLogger(__name__)


class ConsoleBackend:
    """Development only: prints the message to stdout. Numbers and codes end up wherever
    stdout is kept, out of reach of an erasure; ``check --deploy`` warns (piwarden.W002)."""

    def send(self, phone: str, text: str, *, idempotency_key: str = "") -> None:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()


class MessageFileBackend:
    """The demo's default: one file per message under the data folder, which an erasure of
    the person deletes (``accounts.message_files``); the log names only the file."""

    def send(self, phone: str, text: str, *, idempotency_key: str = "") -> None:
        message_files.write("phone", phone, text)


class FileBackend:
    """Appends one JSON line per message to ``PIWARDEN_SMS_FILE`` (tests read it). One file
    for everybody: an erasure does not reach it, so it is for tests only."""

    def send(self, phone: str, text: str, *, idempotency_key: str = "") -> None:
        path = conf.sms_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": phone, "text": text, "sent_at": timezone.now().isoformat(),
                           "idempotency_key": idempotency_key})
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def send_sms(phone: str, text: str, *, audience: egress.Audience = egress.Audience.OTHER,
             source: str = "accounts.sms", idempotency_key: str = "") -> None:
    """The outbox's SMS sender. ``audience`` is declared by the code that queued the message;
    anything but the person is refused by egress control."""
    egress.check_sms(audience=audience, source=source)
    backend = import_string(conf.sms_backend())()
    backend.send(phone, text, idempotency_key=idempotency_key)
    log.info("sms sent via %s", type(backend).__name__)
