"""Messages to the person (each status change) and to staff (deadlines), queued in the outbox.

The callers run these inside the transaction of the change, so a notice commits (or rolls
back) with it; the outbox sends them, retries them and alerts staff when it gives up. The
person's address is revealed from the vault only to queue the message, under the purpose
``rights.requests``, and waits sealed in the outbox until sent. Each message has an
idempotency key of its own (``rights.notice.<request>.<status>``), so a rerun of the caller
sends nothing twice.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from piwarden.audit.actors import Actor
from piwarden.catalog.selectors import latest_release
from piwarden.outbox import services as outbox
from piwarden.sharing import egress
from piwarden.vault import services as vault

log = logging.getLogger(__name__)
PURPOSE = "rights.requests"
SOURCE = "rights.notify"
STAFF_PERMISSION = ("rights", "change_rightsrequest")


def site_url() -> str:
    return settings.PIWARDEN_SITE_URL.rstrip("/")


def handler_contact() -> str:
    release = latest_release()
    return (release.handler or {}).get("contact", "") if release else ""


def contact_of(subject) -> tuple[str, str] | None:
    """("email" | "phone", value) on file for the subject, or None."""
    actor = Actor.system("rights.notify")
    for field in ("email", "phone"):
        try:
            value = vault.reveal(actor=actor, subject=subject, field=field, purpose=PURPOSE)
        except vault.VaultError:
            value = None
        if value:
            return field, value
    return None


def deliver(contact: tuple[str, str] | None, subject_line: str, text: str, *,
            kind: str = "rights.code", concerns=None, person=None,
            idempotency_key: str = "") -> bool:
    """Queue one message to the person (e-mail, or SMS to a phone); False without a contact."""
    if contact is None:
        return False
    channel, to = contact
    common = {"actor": Actor.system(SOURCE), "audience": egress.Audience.PERSON,
              "source": SOURCE, "kind": kind, "concerns": concerns, "person": person,
              "idempotency_key": idempotency_key}
    with transaction.atomic():
        if channel == "email":
            outbox.enqueue_email(to=[to], subject=subject_line, body=text, **common)
        else:
            outbox.enqueue_sms(to=to, text=f"{subject_line}: {text}"[:outbox.MAX_SMS_CHARS],
                               **common)
    return True


def status_message(rights_request, *, extra_link: str = "",
                   link_days: int | None = None) -> tuple[str, str]:
    """The subject line and text of the notice; ``link_days``: the certificate link works
    that many days without an account (a full deletion or a cancellation)."""
    lang = rights_request.params.get("lang", "en")
    with translation.override("zh-hans" if lang.startswith("zh") else "en"):
        subject_line = _("Your privacy request: %(status)s") % {
            "status": rights_request.get_status_display()}
        text = render_to_string("rights/email_status.txt", {
            "req": rights_request, "site": site_url(), "extra_link": extra_link,
            "link_days": link_days, "handler_contact": handler_contact()})
    return subject_line, text


def notify_person(rights_request, *, contact=None, extra_link: str = "",
                  link_days: int | None = None) -> bool:
    """Queue the notice of the request's current status (once per request and status)."""
    subject_line, text = status_message(rights_request, extra_link=extra_link,
                                        link_days=link_days)
    return deliver(contact or contact_of(rights_request.subject), subject_line, text,
                   kind="rights.notice", concerns=rights_request,
                   person=rights_request.subject,
                   idempotency_key=f"rights.notice.{rights_request.pk}.{rights_request.status}")


def staff_members() -> list:
    """Active staff with the permission to handle requests and an address (their login
    e-mail, not PI of a data subject)."""
    app, codename = STAFF_PERMISSION
    users = get_user_model().objects.filter(is_active=True, is_staff=True).filter(
        Q(is_superuser=True) | Q(user_permissions__content_type__app_label=app,
                                 user_permissions__codename=codename)
        | Q(groups__permissions__content_type__app_label=app,
            groups__permissions__codename=codename)).exclude(email="").distinct()
    return sorted(users, key=lambda user: user.email)


def staff_addresses() -> list[str]:
    return sorted({user.email for user in staff_members()})


def notify_staff(subject_line: str, text: str) -> int:
    """Queue the deadline mail to each staff member; the same mail queued again (a rerun of
    the deadline check) sends nothing twice. Returns how many were queued."""
    to = staff_members()
    if not to:
        log.warning("no staff address to send rights deadline mail to")
        return 0
    digest = hashlib.sha256(f"{subject_line}\n{text}".encode()).hexdigest()[:16]
    with transaction.atomic():
        for user in to:
            outbox.enqueue_email(actor=Actor.system(SOURCE), to=[user.email],
                                 subject=subject_line, body=text,
                                 audience=egress.Audience.STAFF, source=SOURCE,
                                 kind="rights.deadlines",
                                 idempotency_key=f"rights.deadlines.{digest}.{user.pk}")
    return len(to)
