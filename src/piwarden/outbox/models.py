"""The one outbox for everything that leaves by webhook (and later e-mail and SMS).

A message is written in the transaction of the action that causes it and sent after that
transaction commits, through egress control, with an idempotency key the receiver can use to
drop repeats. Failed attempts are retried with exponential back-off. The payload holds
references (request ids, pseudonyms), never PI values: the outbox is no second store of PI.
"""

import uuid

from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (JSON posted over HTTP)"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Message(models.Model):
    """One outgoing message and its delivery state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEBHOOK)
    destination = models.URLField(max_length=500, help_text="Where a webhook is posted.")
    payload = models.JSONField(help_text="References only, never PI values.")
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=16, choices=MessageStatus.choices,
                              default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=64, blank=True,
                                  help_text="A code (HTTP_503, EGRESS_REFUSED), never a text "
                                            "quoted from the response.")
    concerns_type = models.CharField(max_length=100, blank=True,
                                     help_text="The object the message is about (app.model).")
    concerns_id = models.CharField(max_length=64, blank=True)
    queued_by = models.CharField(max_length=160)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   models.Index(fields=["concerns_type", "concerns_id"])]

    def __str__(self):
        return f"{self.get_channel_display()} {str(self.id)[:8]} ({self.status})"
