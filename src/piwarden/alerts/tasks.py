"""Background jobs of the alerts app, each a thin call into its code."""

from django_tasks import task

from piwarden.alerts import notify
from piwarden.alerts.models import Alert


@task()
def notify_staff(alert_id: int) -> int:
    """Queue the alert's mail to staff in the outbox (a rerun queues nothing twice)."""
    return notify.mail_staff(Alert.objects.get(pk=alert_id))
