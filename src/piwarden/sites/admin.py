"""Staff console for sites and services: bindings, publishing and discontinuation, each
through the services; the clean-up report is shown on the service's page."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.sites import services
from piwarden.sites.errors import SitesError
from piwarden.sites.models import Offering, Site


class SunsetActionForm(ActionForm):
    end_date = forms.DateField(required=False, label=_("End date (first day without the "
                                                       "service, YYYY-MM-DD)"))


def _run(modeladmin, request, queryset, call, done) -> None:
    """Run a service per selected row; a refusal is shown, not raised."""
    ok = 0
    for obj in queryset:
        try:
            call(obj)
            ok += 1
        except SitesError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}", messages.SUCCESS)


def _bind(request, obj, form) -> None:
    """Handler and policy bindings changed in the form go through the services."""
    actor = Actor.staff(request.user)
    if {"handler", "default_handler"} & set(form.changed_data):
        services.bind_handler(actor=actor, target=obj, counterparty=form.cleaned_data["handler"])
    if "policy_version" in form.changed_data and form.cleaned_data.get("policy_version"):
        services.bind_policy(actor=actor, site=obj, version=form.cleaned_data["policy_version"])


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["domain", "name_en", "name_zh", "handler_name", "policy_version", "status"]
    fields = ["domain", "name_en", "name_zh", "handler", "policy_version", "status"]
    readonly_fields = ["domain", "name_en", "name_zh", "status"]

    @admin.display(description=_("handler"))
    def handler_name(self, obj):
        return obj.handler.recipient if obj.handler_id else _("the catalog's handler")

    def has_add_permission(self, request):
        return False  # the default site comes from the catalog load (services.sync)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            _bind(request, obj, form)
        except SitesError as error:
            self.message_user(request, error.message, messages.ERROR)


class OfferingForm(forms.ModelForm):
    class Meta:
        model = Offering
        fields = ["site", "function", "default_handler", "handler"]

    def clean(self):
        data = super().clean()
        if data.get("default_handler") and data.get("handler"):
            raise forms.ValidationError(_("Name one handler: the catalog's or an entity."))
        return data


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    form = OfferingForm
    list_display = ["function", "name_en", "name_zh", "site", "handler_name", "status",
                    "end_date", "notice_published_at"]
    list_filter = ["status", "site"]
    readonly_fields = ["name_en", "name_zh", "status", "notice_at", "notice_published_at",
                       "end_date", "ends_at", "campaign", "ended_at", "clean_up_report",
                       "changed_by"]
    action_form = SunsetActionForm
    actions = ["publish", "sunset"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "site", "function"] if obj else self.readonly_fields

    @admin.display(description=_("handler"))
    def handler_name(self, obj):
        if obj.handler_id:
            return obj.handler.recipient
        return _("the catalog's handler") if obj.default_handler else _("none (draft)")

    @admin.display(description=_("clean-up report"))
    def clean_up_report(self, obj):
        if not obj.report:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(obj.report, indent=2, sort_keys=True))

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        actor = Actor.staff(request.user)
        data = form.cleaned_data
        bound = data.get("default_handler") or data.get("handler")
        try:
            if not change:
                obj.pk = services.add_offering(actor=actor, site=data["site"],
                                               function=data["function"]).pk
            if bound and (not change or {"handler", "default_handler"} & set(form.changed_data)):
                services.bind_handler(actor=actor, target=obj, counterparty=data.get("handler"))
        except SitesError as error:
            self.message_user(request, error.message, messages.ERROR)

    @admin.action(description=_("Publish (needs a handler)"), permissions=["change"])
    def publish(self, request, queryset):
        actor = Actor.staff(request.user)
        _run(self, request, queryset,
             lambda o: services.publish(actor=actor, offering=o), _("published."))

    @admin.action(description=_("End the service on the end date (notice goes out now)"),
                  permissions=["change"])
    def sunset(self, request, queryset):
        try:  # the action form's own "action" choices are filled in by the changelist only
            end_date = SunsetActionForm.base_fields["end_date"].clean(
                request.POST.get("end_date"))
        except forms.ValidationError:
            end_date = None
        if end_date is None:
            self.message_user(request, _("Give the end date."), messages.ERROR)
            return
        actor = Actor.staff(request.user)
        _run(self, request, queryset,
             lambda o: services.sunset(actor=actor, offering=o, end_date=end_date),
             _("set to end; the notice campaign is out."))
