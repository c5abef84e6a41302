"""The one path by which alerts reach staff: an e-mail to everyone who may see alerts, queued in
the outbox (one message per staff member, ``alerts.<alert>.<user>``).

It runs in the task worker after the alert's commit, so a slow or failing mail server never
holds up the code that raised the alert (an egress refusal must stay cheap). The task may run
again (a retry after a crash): the idempotency keys make the second run queue nothing.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor

log = logging.getLogger(__name__)
PERMISSION = "alerts.view_alert"
SOURCE = "alerts.notify"


def staff_members() -> list:
    """Active staff who hold ``alerts.view_alert`` (directly, by group or as superusers) and
    have an address."""
    users = (get_user_model().objects
             .with_perm(PERMISSION, is_active=True, include_superusers=True)
             .filter(is_staff=True).exclude(email=""))
    return sorted(users, key=lambda user: (user.email.lower(), user.pk))


def staff_addresses() -> list[str]:
    return sorted({user.email for user in staff_members()})


def message(alert: Alert) -> tuple[str, str]:
    """Subject line and text: the summary and references only, no PI values."""
    subject_line = f"[piwarden] {alert.get_severity_display()} alert: {alert.kind}"
    text = (f"{alert.summary}\n\nSource: {alert.source}\nRaised: {alert.created_at.isoformat()}\n"
            f"{settings.PIWARDEN_SITE_URL.rstrip('/')}/admin/alerts/alert/{alert.pk}/change/\n")
    return subject_line, text


def mail_staff(alert: Alert) -> int:
    """Queue the alert's e-mail to each staff member (audience *staff*: egress checks each
    address against the staff accounts when it leaves); returns how many were queued."""
    # The outbox raises alerts itself (a delivery given up), so it is imported here, when
    # the task runs, not when alerts.services (which imports this module) is loaded.
    from piwarden.outbox import services as outbox

    to = staff_members()
    if not to:
        log.warning("alert %s: no staff address to send it to", alert.pk)
        return 0
    subject_line, text = message(alert)
    with transaction.atomic():
        for user in to:
            outbox.enqueue_email(actor=Actor.system(SOURCE), to=[user.email],
                                 subject=subject_line, body=text, audience="staff",
                                 source=SOURCE, kind="alerts.staff", concerns=alert,
                                 idempotency_key=f"alerts.{alert.pk}.{user.pk}")
    return len(to)
