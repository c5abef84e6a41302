"""The audit trail in the staff console: searchable, filterable, never editable."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from piwarden.audit import services
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, AuditSubject, ChainCheck
from piwarden.readonly_admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "occurred_at", "action", "actor_kind", "actor_id", "subject_id",
                    "purpose", "outcome")
    list_filter = ("action", "actor_kind", "outcome", "purpose", "occurred_at")
    search_fields = ("=subject__id", "=actor_id", "=request_id", "=object_id", "action")
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in self.model._meta.fields), "people_named"]

    @admin.display(description=_("People named (child rows)"))
    def people_named(self, obj):
        touched = obj.detail.get("touched") if isinstance(obj.detail, dict) else None
        if not touched:
            return "-"
        url = reverse("admin:audit_auditsubject_changelist") + f"?event__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, touched.get("count"))


@admin.register(AuditSubject)
class AuditSubjectAdmin(ReadOnlyAdmin):
    """Who each record's action touched; search by a person's id to see every record naming
    them."""

    list_display = ("event", "subject_id")
    search_fields = ("=subject__id", "=event__seq")
    list_select_related = ("event",)
    show_full_result_count = False
    raw_id_fields = ("event", "subject")

    def get_readonly_fields(self, request, obj=None):
        return ["event", "subject"]


@admin.register(ChainCheck)
class ChainCheckAdmin(ReadOnlyAdmin):
    """Past verifications, and a button that queues a new one for the task worker."""

    list_display = ("requested_at", "requested_by", "ok", "checked", "head_seq", "bad_seq",
                    "finished_at")
    list_filter = ("ok",)
    readonly_fields = (*list_display, "head_hash", "problem")

    def get_urls(self):
        run = path("run/", self.admin_site.admin_view(self.run_view), name="audit_chaincheck_run")
        return [run, *super().get_urls()]

    @method_decorator(require_POST)
    def run_view(self, request):
        if not request.user.has_perm("audit.add_chaincheck"):
            raise PermissionDenied
        check = services.request_check(actor=Actor.staff(request.user))
        self.message_user(request, f"Verification {check.pk} queued; reload to see its result.",
                          messages.SUCCESS)
        return redirect("admin:audit_chaincheck_changelist")

