"""Messages to the person (each status change) and to staff (deadlines).

Everything here runs after the commit (``transaction.on_commit``). The person's address is
revealed from the vault only to send, under the purpose ``rights.requests``; a failed delivery
is logged without PI.
"""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from piwarden.audit.actors import Actor
from piwarden.catalog.selectors import latest_release
from piwarden.sharing import egress
from piwarden.vault import services as vault

log = logging.getLogger(__name__)
PURPOSE = "rights.requests"
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


def deliver(contact: tuple[str, str] | None, subject_line: str, text: str) -> bool:
    if contact is None:
        return False
    channel, to = contact
    try:
        if channel == "email":
            egress.send_mail(subject_line, text, [to], audience=egress.Audience.PERSON,
                             source="rights.notify")
        else:
            from piwarden.accounts import sms

            sms.send_sms(to, f"{subject_line}: {text}"[:480], audience=egress.Audience.PERSON,
                         source="rights.notify")
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("rights notification by %s failed: %s", channel, type(exc).__name__)
        return False
    return True


def status_message(rights_request, *, extra_link: str = "") -> tuple[str, str]:
    lang = rights_request.params.get("lang", "en")
    with translation.override("zh-hans" if lang.startswith("zh") else "en"):
        subject_line = _("Your privacy request: %(status)s") % {
            "status": rights_request.get_status_display()}
        text = render_to_string("rights/email_status.txt", {
            "req": rights_request, "site": site_url(), "extra_link": extra_link,
            "handler_contact": handler_contact()})
    return subject_line, text


def notify_person(rights_request, *, contact=None, extra_link: str = "") -> bool:
    subject_line, text = status_message(rights_request, extra_link=extra_link)
    return deliver(contact or contact_of(rights_request.subject), subject_line, text)


def staff_addresses() -> list[str]:
    """Active staff with the permission to handle requests (their login e-mail, not PI of a
    data subject)."""
    app, codename = STAFF_PERMISSION
    users = get_user_model().objects.filter(is_active=True, is_staff=True).filter(
        Q(is_superuser=True) | Q(user_permissions__content_type__app_label=app,
                                 user_permissions__codename=codename)
        | Q(groups__permissions__content_type__app_label=app,
            groups__permissions__codename=codename)).distinct()
    return sorted({u.email for u in users if u.email})


def notify_staff(subject_line: str, text: str) -> int:
    to = staff_addresses()
    if not to:
        log.warning("no staff address to send rights deadline mail to")
        return 0
    try:
        egress.send_mail(subject_line, text, to, audience=egress.Audience.STAFF,
                         source="rights.notify")
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("rights staff mail failed: %s", type(exc).__name__)
        return 0
    return len(to)
