"""Staff console: the outbox, read-only, with "retry now" through the service.

An e-mail's or SMS's addresses and text are sealed and never shown here (not even to
superusers): the console shows the channel, the kind, the audience and the delivery state,
and whether the sealed content is still held or was wiped.
"""

from django.contrib import admin, messages

from piwarden.audit.actors import Actor
from piwarden.outbox import services
from piwarden.outbox.models import Channel, Message, MessageStatus
from piwarden.readonly_admin import ReadOnlyAdmin


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "channel", "kind", "audience", "host", "status", "attempts",
                    "last_error", "next_attempt_at", "concerns", "created_at", "sent_at")
    list_filter = ("status", "channel", "audience", "kind", "last_error")
    search_fields = ("=id", "=idempotency_key", "=concerns_id")
    fields = ("id", "channel", "kind", "audience", "source", "destination", "payload",
              "content", "idempotency_key", "status", "attempts", "next_attempt_at",
              "last_error", "concerns_type", "concerns_id", "queued_by", "created_at",
              "sent_at")
    readonly_fields = fields
    actions = ["retry_now"]

    @admin.display(description="Host")
    def host(self, message):
        return services.host_of(message.destination) if message.destination else "-"

    @admin.display(description="Concerns")
    def concerns(self, message):
        return f"{message.concerns_type} {message.concerns_id}"

    @admin.display(description="Addresses and text")
    def content(self, message):
        if message.channel == Channel.WEBHOOK:
            return "-"
        return "sealed until sent" if message.has_content else "wiped"

    def has_retry_permission(self, request):
        return request.user.has_perm("outbox.change_message")

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request, queryset):
        retried = skipped = 0
        for message in queryset.exclude(status=MessageStatus.SENT):
            try:
                services.retry_now(actor=Actor.staff(request.user), message=message)
            except services.OutboxError:  # a given-up e-mail or SMS: its content is wiped
                skipped += 1
                continue
            retried += 1
        self.message_user(request, f"{retried} message(s) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} e-mail or SMS message(s) cannot be sent "
                              "again: their address and text were wiped when they failed.",
                              messages.WARNING)
