"""What the task worker does after a commit, for tests that read a sent e-mail or SMS.

E-mail and SMS leave through the outbox: the commit queues a ``deliver_message`` task, and the
test settings' database task backend runs nothing. A test that reads what was sent (Django's
locmem ``mail.outbox``, the local SMTP server, the SMS file) first calls ``send_queued()``,
or runs with the immediate task backend (``settings.TASKS``).
"""

from piwarden.outbox import services


def send_queued() -> int:
    """Deliver every queued message that is due now, oldest first; returns how many."""
    return services.deliver_due()
