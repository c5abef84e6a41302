"""The console: the list of file exports (approve, refuse, download) and the "Export to CSV"
action any console list can add with ``export_csv_action([...fields])``."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from piwarden.admin_actions import run_per_row
from piwarden.audit.actors import Actor
from piwarden.catalog.models import GRADE_LEVELS
from piwarden.errors import ServiceError
from piwarden.exports import services
from piwarden.exports.models import FileExport, Status
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.roles import registry as roles
from piwarden.roles.selectors import has_role


def _file(name: str, text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why is this file needed?"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


def export_selected(modeladmin, request, queryset, fields: list[str]):
    """Ask for the reason, then request the export; a file that needs no approval is
    downloaded at once, one that does waits in the list of file exports."""
    screened = getattr(modeladmin, "screened", None)
    if screened is not None:  # a purpose-bound list: only rows the stated purpose may show
        queryset = screened(request, queryset)
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return TemplateResponse(request, "exports/reason.html", {
            **modeladmin.admin_site.each_context(request), "title": _("Export to CSV"),
            "opts": modeladmin.model._meta, "form": form, "queryset": queryset,
            "action": request.POST.get("action", "")})
    actor = Actor.staff(request.user)
    try:
        export = services.request_export(
            actor=actor, user=request.user, source=f"model:{modeladmin.model._meta.label}",
            params={"ids": sorted(obj.pk for obj in queryset), "fields": list(fields)},
            reason=form.cleaned_data["reason"])
        if export.status == Status.APPROVED:
            return _file(*services.download(actor=actor, user=request.user, export=export))
    except ServiceError as error:
        modeladmin.message_user(request, error.message, messages.ERROR)
        return None
    modeladmin.message_user(request, _(
        "The selection includes sensitive personal information: export %(id)s waits for a "
        "privacy officer's approval. Download it from File exports once approved.")
        % {"id": export.pk}, messages.WARNING)
    return None


def export_csv_action(fields: list[str]):
    """A console action exporting ``fields`` of the selected rows to a watermarked CSV."""
    def export_csv(modeladmin, request, queryset):
        return export_selected(modeladmin, request, queryset, fields)
    return admin.action(description=gettext_lazy("Export to CSV"))(export_csv)


@admin.register(FileExport)
class FileExportAdmin(ReadOnlyAdmin):
    list_display = ("id", "source", "requested_by", "level", "status", "approvals_given",
                    "approvals_needed", "created_at", "downloaded_at")
    list_filter = ("status", "grade")
    readonly_fields = ("requested_by", "source", "params", "categories", "grade",
                       "approvals_needed", "reason", "status", "created_at", "downloaded_at")
    actions = ["approve_selected", "refuse_selected", "download_selected"]

    def get_queryset(self, request):
        """Privacy officers see every request; anyone else only their own."""
        rows = super().get_queryset(request)
        if has_role(request.user, roles.PRIVACY_OFFICER):
            return rows
        return rows.filter(requested_by=request.user)

    @admin.display(description=gettext_lazy("grade"))
    def level(self, obj):
        return GRADE_LEVELS.get(obj.grade, "")

    @admin.display(description=gettext_lazy("approvals"))
    def approvals_given(self, obj):
        return obj.approvals.count()

    @admin.action(description=gettext_lazy("Approve the selected exports"))
    def approve_selected(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda actor, row: services.approve(actor=actor, user=request.user,
                                                        export=row), _("approved"))

    @admin.action(description=gettext_lazy("Refuse the selected exports"))
    def refuse_selected(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda actor, row: services.refuse(actor=actor, user=request.user,
                                                       export=row), _("refused"))

    @admin.action(description=gettext_lazy("Download the file (one export)"))
    def download_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select one export to download."), messages.ERROR)
            return None
        try:
            return _file(*services.download(actor=Actor.staff(request.user),
                                            user=request.user, export=queryset.get()))
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
