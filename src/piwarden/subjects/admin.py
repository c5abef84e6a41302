"""Subjects in the staff console: read-only; status changes come from the rights workflows."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.subjects.models import Subject


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "created_at", "audit_trail")
    list_filter = ("kind", "status")
    search_fields = ("=id",)
    readonly_fields = ("id", "kind", "status", "created_at", "status_changed_at", "audit_trail")

    @admin.display(description="Audit trail")
    def audit_trail(self, obj):
        url = reverse("admin:audit_auditevent_changelist") + f"?subject__id__exact={obj.pk}"
        return format_html('<a href="{}">records about this subject</a>', url)

