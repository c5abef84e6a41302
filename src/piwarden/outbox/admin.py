"""Staff console: the outbox, read-only, with "retry now" through the service."""

from django.contrib import admin, messages

from piwarden.audit.actors import Actor
from piwarden.outbox import services
from piwarden.outbox.models import Message, MessageStatus
from piwarden.readonly_admin import ReadOnlyAdmin


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "channel", "host", "status", "attempts", "last_error",
                    "next_attempt_at", "concerns", "created_at", "sent_at")
    list_filter = ("status", "channel", "last_error")
    search_fields = ("=id", "=idempotency_key", "=concerns_id")
    fields = ("id", "channel", "destination", "payload", "idempotency_key", "status",
              "attempts", "next_attempt_at", "last_error", "concerns_type", "concerns_id",
              "queued_by", "created_at", "sent_at")
    readonly_fields = fields
    actions = ["retry_now"]

    @admin.display(description="Host")
    def host(self, message):
        return services.host_of(message.destination)

    @admin.display(description="Concerns")
    def concerns(self, message):
        return f"{message.concerns_type} {message.concerns_id}"

    def has_retry_permission(self, request):
        return request.user.has_perm("outbox.change_message")

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request, queryset):
        retried = 0
        for message in queryset.exclude(status=MessageStatus.SENT):
            services.retry_now(actor=Actor.staff(request.user), message=message)
            retried += 1
        self.message_user(request, f"{retried} message(s) queued again.", messages.SUCCESS)
