"""Call-back requests in the staff console: masks only, read for a stated purpose and audited
(``staffreads.PurposeBoundAdmin``). Full values are revealed through the vault's console page
(permission, purpose and typed reason, audited)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from piwarden.audit.actors import Actor
from piwarden.leads import services
from piwarden.leads.models import Lead
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.staffreads.admin import PurposeBoundAdmin


@admin.register(Lead)
class LeadAdmin(PurposeBoundAdmin, ReadOnlyAdmin):
    mask_fields = ("phone", "email", "name", "leads_message")
    list_display = ("last_submitted_at", "status", "channel", "phone", "email", "name",
                    "message", "submissions", "claimed")
    list_filter = ("status", "channel")
    search_fields = ("=subject__id",)
    date_hierarchy = "last_submitted_at"
    actions = ["close_requests"]
    fields = ("id", "subject_id", "status", "channel", "phone", "email", "name", "message",
              "notice_version", "consent_event_id", "submissions", "created_at",
              "last_submitted_at", "closed_at", "claimed_by_id", "claimed_at", "vault_values")
    readonly_fields = fields

    @admin.display(description="Phone")
    def phone(self, obj):
        return self.mask(obj, "phone")

    @admin.display(description="E-mail")
    def email(self, obj):
        return self.mask(obj, "email")

    @admin.display(description="Name")
    def name(self, obj):
        return self.mask(obj, "name")

    @admin.display(description="Message")
    def message(self, obj):
        return self.mask(obj, "leads_message") if obj.has_message else "—"

    @admin.display(description="Claimed", boolean=True)
    def claimed(self, obj):
        return obj.claimed_by_id is not None

    @admin.display(description="Reveal")
    def vault_values(self, obj):
        url = reverse("admin:vault_vaultvalue_changelist") + f"?q={obj.subject_id}"
        return format_html('<a href="{}">Vault values of this person (reveal with a reason)</a>',
                           url)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subject")

    @admin.action(description="Mark handled (deletes the message)",
                  permissions=["close"])
    def close_requests(self, request, queryset):
        for lead in queryset:
            services.close(actor=Actor.staff(request.user), lead=lead)
        messages.success(request, f"{queryset.count()} request(s) marked handled.")

    def has_close_permission(self, request):
        return request.user.has_perm("leads.close_lead")
