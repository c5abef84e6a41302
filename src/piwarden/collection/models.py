"""What the website's servers report about visits: log, device and location events.

Every row is already minimized when it is written (``minimize.py``): IPs truncated or
pseudonymized, URLs without undeclared query parameters or PI patterns, the user agent reduced
to browser, OS and device type, coordinates rounded. Nothing here is a vault field: none of it
identifies a person without the ``subject`` link.
"""

from django.db import models
from django.utils import timezone

from piwarden.subjects.models import Subject


class Event(models.Model):
    """One event, of a kind the catalog's ``collection`` section declares.

    ``subject`` + ``source`` + ``event_id`` make ingestion idempotent: a client that retries a
    batch gets ``duplicate`` for what it already sent. ``subject`` is null once an erased
    person's access log is kept detached under the logging duty (Cybersecurity Law Art. 21).

    Both indexes keep one person's rows together wherever rows arrive together: the unique key
    leads with the subject, and retention reads ``(activity, received_at)``, which follows the
    order rows are stored in. An erasure then touches index pages in proportion to the
    person's data, not to the table (an index on a client-sent time or event id would scatter
    them).
    """

    source = models.CharField(max_length=40,
                              help_text="The API client (or staff user) that sent it.")
    event_id = models.CharField(max_length=64)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_index=False)  # leads the unique key
    kind = models.CharField(max_length=64)
    activity = models.CharField(max_length=64, help_text="The catalog processing activity.")
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    ip = models.CharField(max_length=64, blank=True,
                          help_text="Truncated network or keyed pseudonym, per the catalog.")
    url = models.CharField(max_length=2048, blank=True)
    referrer = models.CharField(max_length=2048, blank=True)
    download = models.CharField(max_length=2048, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    browser = models.CharField(max_length=64, blank=True)
    os = models.CharField(max_length=64, blank=True)
    device_type = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=35, blank=True)
    network_type = models.CharField(max_length=16, blank=True)
    screen = models.CharField(max_length=16, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "source", "event_id"],
                                               name="collection_event_once")]
        indexes = [models.Index(fields=["activity", "received_at"])]
        ordering = ["occurred_at", "id"]

    def __str__(self):
        return f"{self.kind} {self.event_id}"


class DeviceLink(models.Model):
    """A browser (a cookie-banner visitor) associated with an account: cross-device association,
    recorded only while the catalog's cross-device purpose is allowed for the account."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+",
                               help_text="The visitor subject of the browser.")
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "device"],
                                               name="collection_device_link_once")]

    def __str__(self):
        return f"device link {self.pk}"
