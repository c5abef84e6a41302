"""The one path by which alerts reach staff: an e-mail to everyone who may see alerts.

It runs in the task worker after the alert's commit, so a slow or failing mail server never
holds up the code that raised the alert (an egress refusal must stay cheap).
"""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection, send_mail

from piwarden.alerts.models import Alert

log = logging.getLogger(__name__)
PERMISSION = "alerts.view_alert"


def staff_addresses() -> list[str]:
    """Active staff who hold ``alerts.view_alert`` (directly, by group or as superusers)."""
    users = (get_user_model().objects
             .with_perm(PERMISSION, is_active=True, include_superusers=True)
             .filter(is_staff=True).exclude(email=""))
    return sorted({user.email for user in users})


def mail_staff(alert: Alert) -> int:
    """E-mail the alert (summary and references only, no PI values); returns how many got it."""
    to = staff_addresses()
    if not to:
        log.warning("alert %s: no staff address to send it to", alert.pk)
        return 0
    subject_line = f"[piwarden] {alert.get_severity_display()} alert: {alert.kind}"
    text = (f"{alert.summary}\n\nSource: {alert.source}\nRaised: {alert.created_at.isoformat()}\n"
            f"{settings.PIWARDEN_SITE_URL.rstrip('/')}/admin/alerts/alert/{alert.pk}/change/\n")
    # The audience is an option of the e-mail connection that sharing.egress.EmailBackend
    # reads (it checks each address against the staff accounts); passed by name, because
    # egress raises alerts itself and importing it here would make a circle.
    connection = get_connection(audience="staff", source="alerts.notify")
    try:
        send_mail(subject_line, text, None, to, connection=connection)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("alert %s: staff mail failed: %s", alert.pk, type(exc).__name__)
        return 0
    return len(to)
