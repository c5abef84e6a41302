"""The demo's e-mail and SMS delivery: one file per message under the data folder.

Without an SMTP server or SMS gateway the messages (with addresses and live codes) must still
be readable by the person running the demo, but never in the server's log, where nothing
erases them. Each message is written to ``<PIWARDEN_MESSAGE_DIR>/<address digest>/`` (default
``<DATA_DIR>/messages``), the folder named by a keyed digest of the normalized address; the
log gets one line naming the channel and the file, without the address or the text. An
erasure of the person reveals their e-mail and phone from the vault (it runs before the
vault's own source) and deletes those folders. Production sends through SMTP and a gateway;
``piwarden check --deploy`` warns while these backends are configured.
"""

import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.outbox.models import Message
from piwarden.subjects.registry import Erased, Source
from piwarden.vault import services as vault
from piwarden.vault.errors import InvalidValue, VaultError
from piwarden.vault.fields import normalize_email, normalize_phone

log = logging.getLogger(__name__)
NAME = "accounts.message_files"
PURPOSE = "rights.requests"
ACTOR = Actor.system("accounts.message_files")
_NORMALIZE = {"email": normalize_email, "phone": normalize_phone}
CATEGORIES = ("user.contact.email", "user.contact.phone", "user.communication.content")


def folder() -> Path:
    return Path(getattr(settings, "PIWARDEN_MESSAGE_DIR", "")
                or Path(settings.DATA_DIR) / "messages")


@sensitive_variables("address")
def _folder_of(channel: str, address: str) -> Path:
    try:
        address = _NORMALIZE[channel](address)
    except InvalidValue:
        address = address.strip()
    digest = salted_hmac("piwarden.message_files", f"{channel}\x1f{address.lower()}",
                         algorithm="sha256").hexdigest()[:32]
    return folder() / f"{channel}-{digest}"


@sensitive_variables("address", "content")
def write(channel: str, address: str, content: str) -> Path:
    """Write one message for ``address`` (readable by the owner only); log a masked line."""
    where = _folder_of(channel, address)
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = where / f"{timezone.now():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.txt"
    path.touch(mode=0o600, exist_ok=False)
    path.write_text(content, encoding="utf-8")
    log.info("demo %s written to %s", channel, path.relative_to(folder().parent))
    return path


class EmailBackend(BaseEmailBackend):
    """``PIWARDEN_EMAIL_DELIVERY_BACKEND`` of the demo: each recipient's copy to a file."""

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            text = message.message().as_string()
            for recipient in message.recipients():
                write("email", recipient, text)
            sent += 1
        return sent


def _folders(subject, categories) -> list[Path]:
    found = []
    for channel in ("email", "phone"):
        if categories is not None and f"user.contact.{channel}" not in categories and not any(
                f"user.contact.{channel}".startswith(c + ".") for c in categories):
            continue
        try:
            address = vault.reveal(actor=ACTOR, subject=subject, field=channel,
                                   purpose=PURPOSE)
        except VaultError:
            address = None
        if address:
            where = _folder_of(channel, address)
            if where.is_dir():
                found.append(where)
    return found


def export(subject) -> dict[str, list[dict]]:
    return {"message_files": [
        {"file": path.name, "text": path.read_text(encoding="utf-8")}
        for where in _folders(subject, None) for path in sorted(where.iterdir())]}


def erase(*, actor, subject, categories=None) -> Erased:
    """Delete the message files to the person's e-mail and phone on file."""
    deleted = 0
    for where in _folders(subject, categories):
        for path in where.iterdir():
            path.unlink()
            deleted += 1
        where.rmdir()
    if deleted:
        audit.record(actor=actor, action="accounts.message_files_erased", subject=subject,
                     categories=list(CATEGORIES), purpose=PURPOSE,
                     legal_basis="legal_obligation", detail={"files": deleted})
    return Erased(erased=deleted)


# The files are the demo's delivered copies of outbox messages: the model they come from.
SOURCE = Source(name=NAME, models=(Message,), categories=CATEGORIES, export=export,
                erase=erase)
