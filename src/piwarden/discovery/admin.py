"""Discovery reports and findings in the staff console: read-only pages, China time, words for
every code; the list's actions change a finding's status or owner through the services."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import ActorKind
from piwarden.catalog import labels
from piwarden.discovery import services
from piwarden.discovery.labels import TYPE_NAMES, skip_reason, type_name
from piwarden.discovery.models import Finding, FindingStatus, Report, Source
from piwarden.readonly_admin import ActionsOnlyAdmin, ReadOnlyAdmin


def ran_by(actor: str) -> str:
    """Who ran a report, in words: a staff member's user name, else "System job"."""
    kind, _sep, ident = actor.partition(":")
    if kind == ActorKind.STAFF:
        user = get_user_model().objects.filter(pk=ident).first()
        if user is not None:
            return user.get_username()
    return str(_("Staff member")) if kind == ActorKind.STAFF else str(_("System job"))


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["number", "started", "by", "scanned", "rows_scanned", "files_scanned",
                    "lines_scanned", "findings_link"]
    fields = ["number", "started", "finished", "by", "scanned", "sample", "tables_scanned",
              "columns_scanned", "rows_scanned", "cells_scanned", "files_scanned",
              "lines_scanned", "skipped_stores", "files_not_read", "findings_link"]
    readonly_fields = fields

    @admin.display(description=_("report"))
    def number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("started"), ordering="started_at")
    def started(self, obj):
        return labels.china_time(obj.started_at)

    @admin.display(description=_("finished"))
    def finished(self, obj):
        return labels.china_time(obj.finished_at)

    @admin.display(description=_("run by"))
    def by(self, obj):
        return ran_by(obj.ran_by)

    @admin.display(description=_("sources"))
    def scanned(self, obj):
        return labels.join([str(Source(source).label) for source in obj.sources
                            if source in Source.values])

    @admin.display(description=_("declared stores skipped"))
    def skipped_stores(self, obj):
        return ", ".join(entry for entry in obj.skipped if isinstance(entry, str)) or "—"

    @admin.display(description=_("files not read"))
    def files_not_read(self, obj):
        return "; ".join(f"{entry.get('place')} ({skip_reason(entry.get('reason'))})"
                         for entry in obj.skipped if isinstance(entry, dict)) or "—"

    @admin.display(description=_("findings"))
    def findings_link(self, obj):
        total = obj.findings.count()
        still_open = obj.findings.filter(status=FindingStatus.OPEN).count()
        url = reverse("admin:discovery_finding_changelist") + "?" + urlencode(
            {"report__id__exact": obj.pk})
        words = gettext("Findings: %(total)d, open: %(open)d") % {"total": total,
                                                                   "open": still_open}
        return format_html('<a href="{}">{}</a>', url, words)


class TypeFilter(admin.SimpleListFilter):
    title = _("detector type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [(code, type_name(code)) for code in TYPE_NAMES]

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(Finding)
class FindingAdmin(ActionsOnlyAdmin):
    # Narrow enough for 1280 px beside the filters; the category follows from the type and
    # is on the detail page with the declaration.
    list_display = ["location", "detector_type", "count", "status", "owner", "report_link"]
    list_filter = ["status", TypeFilter, "kind", "report"]
    search_fields = ["location"]
    list_select_related = ["owner"]
    fields = ["report_link", "report_started", "kind", "location", "detector_type",
              "found_category", "declared", "count", "status", "owner", "updated"]
    readonly_fields = fields
    actions = ["accept_false_positive", "mark_fixed", "reopen", "take_ownership"]

    @admin.display(description=_("detector type"), ordering="type")
    def detector_type(self, obj):
        return type_name(obj.type)

    @admin.display(description=_("category"), ordering="category")
    def found_category(self, obj):
        return labels.category(obj.category)

    @admin.display(description=_("declaration"))
    def declared(self, obj):
        words = obj.get_declaration_display()
        if obj.declared_category:
            return f"{words}: {labels.category(obj.declared_category)}"
        return words

    @admin.display(description=_("updated"))
    def updated(self, obj):
        return labels.china_time(obj.updated_at)

    @admin.display(description=_("report"), ordering="report")
    def report_link(self, obj):
        url = reverse("admin:discovery_report_change", args=[obj.report_id])
        return format_html('<a href="{}">#{}</a>', url, obj.report_id)

    @admin.display(description=_("started"))
    def report_started(self, obj):
        return labels.china_time(obj.report.started_at)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("report", "owner")

    def _status(self, request, queryset, status):
        self.apply_each(request, queryset, lambda actor, finding: services.set_status(
            actor=actor, finding=finding, status=status), lambda n: gettext(
            "Findings changed: %(n)d. Their status is now: %(status)s.")
            % {"n": n, "status": FindingStatus(status).label})

    @admin.action(description=_("Accept as a false positive"), permissions=["change"])
    def accept_false_positive(self, request, queryset):
        self._status(request, queryset, FindingStatus.FALSE_POSITIVE)

    @admin.action(description=_("Mark fixed"), permissions=["change"])
    def mark_fixed(self, request, queryset):
        self._status(request, queryset, FindingStatus.FIXED)

    @admin.action(description=_("Reopen"), permissions=["change"])
    def reopen(self, request, queryset):
        self._status(request, queryset, FindingStatus.OPEN)

    @admin.action(description=_("Take ownership"), permissions=["change"])
    def take_ownership(self, request, queryset):
        self.apply_each(request, queryset, lambda actor, finding: services.assign(
            actor=actor, finding=finding, owner=request.user), lambda n: gettext(
            "Findings you now own: %(n)d.") % {"n": n})
