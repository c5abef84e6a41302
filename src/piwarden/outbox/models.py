"""The one outbox for everything that leaves: webhooks, e-mail and SMS.

A message is written in the transaction of the action that causes it and sent after that
transaction commits, through egress control, with an idempotency key the receiver can use to
drop repeats. Failed attempts are retried with exponential back-off.

A webhook's payload holds references (request ids, pseudonyms), never PI values. An e-mail or
an SMS cannot do without the address or number and the text until it is sent: they are kept
sealed (``sealed``, under a data key of the message's own, wrapped by the vault's master key)
and wiped, the wrapped key with them, as soon as the message is sent or given up. What stays
is the channel, the audience, the kind, the delivery state, the idempotency key and the person
it was for (until their data is erased: ``subject_data``): the outbox is no second store of PI.
"""

import uuid

from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (JSON posted over HTTP)"
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Message(models.Model):
    """One outgoing message and its delivery state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEBHOOK)
    kind = models.CharField(max_length=64, blank=True,
                            help_text="What the message is (its template or payload type).")
    audience = models.CharField(max_length=16, blank=True,
                                help_text="E-mail and SMS: who it is for, as egress control "
                                          "checks it (person, staff, other).")
    source = models.CharField(max_length=64, blank=True,
                              help_text="The code that queued it; egress names it in a "
                                        "refusal.")
    destination = models.URLField(max_length=500, blank=True,
                                  help_text="Where a webhook is posted (a recipient's URL).")
    payload = models.JSONField(default=dict, blank=True,
                               help_text="A webhook's body: references only, never PI values.")
    sealed = models.BinaryField(default=b"", blank=True, editable=False,
                                help_text="E-mail and SMS: recipients and text, encrypted; "
                                          "empty once sent or failed.")
    wrapped_key = models.BinaryField(default=b"", blank=True, editable=False)
    key_version = models.PositiveIntegerField(null=True, blank=True,
                                              help_text="The master key version that wraps "
                                                        "the message's data key.")
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=16, choices=MessageStatus.choices,
                              default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=64, blank=True,
                                  help_text="A code (HTTP_503, SMTP_451, EGRESS_REFUSED), "
                                            "never a text quoted from the response.")
    concerns_type = models.CharField(max_length=100, blank=True,
                                     help_text="The object the message is about (app.model).")
    concerns_id = models.CharField(max_length=64, blank=True)
    subject = models.ForeignKey(
        "subjects.Subject", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="outbox_messages",
        help_text="The person the message is to or about: rights requests find it here "
                  "(outbox/subject_data.py). Emptied when the person's data is erased.")
    queued_by = models.CharField(max_length=160)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   models.Index(fields=["concerns_type", "concerns_id"])]

    def __str__(self):
        return f"{self.get_channel_display()} {str(self.id)[:8]} ({self.status})"

    @property
    def has_content(self) -> bool:
        """Whether the sealed recipients and text are still there (not yet wiped)."""
        return bool(self.sealed)
