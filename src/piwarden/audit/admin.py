"""The audit trail in the staff console: searchable, filterable, never editable."""

from django.contrib import admin

from piwarden.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "occurred_at", "action", "actor_kind", "actor_id", "subject_id",
                    "purpose", "outcome")
    list_filter = ("action", "actor_kind", "outcome", "purpose", "occurred_at")
    search_fields = ("=subject__id", "=actor_id", "=request_id", "=object_id", "action")
    date_hierarchy = "occurred_at"
    list_select_related = False
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
