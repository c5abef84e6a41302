"""Campaigns in the staff console. Writes go through the services (audited); entries show
masks only, read for a stated purpose and audited (``staffreads.PurposeBoundAdmin``), and the
consent form's scan opens only with ``campaigns.view_scan`` and a reason."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html

from piwarden.audit.actors import Actor
from piwarden.campaigns import services
from piwarden.campaigns.forms import EntryForm
from piwarden.campaigns.models import Campaign, CampaignAccess, CampaignEntry, EntryVia
from piwarden.consent import services as consent
from piwarden.consent.notices import NoticeVersionError, check_version
from piwarden.staffreads.admin import PurposeBoundAdmin
from piwarden.vault import files
from piwarden.vault import services as vault


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ("name", "location", "starts_on", "ends_on", "partner")

    def clean_partner(self):
        try:
            services.check_partner(self.cleaned_data["partner"])
        except services.CampaignError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return self.cleaned_data["partner"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ("name", "starts_on", "ends_on", "location", "partner", "add_page")
    search_fields = ("name",)

    @admin.display(description="Entry page for staff")
    def add_page(self, obj):
        url = reverse("campaigns:new_entry", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, url)

    def save_model(self, request, obj, form, change):
        services.save_campaign(actor=Actor.staff(request.user), campaign=obj)

    def has_delete_permission(self, request, obj=None):
        return False


class AccessForm(forms.ModelForm):
    username = forms.CharField(help_text="A work id, not the person's name.")
    password = forms.CharField(widget=forms.PasswordInput)

    class Meta:
        model = CampaignAccess
        fields = ("campaign", "username", "password")

    def clean_username(self):
        from django.contrib.auth import get_user_model

        if get_user_model().objects.filter(username=self.cleaned_data["username"]).exists():
            raise ValidationError("This user name is taken.")
        return self.cleaned_data["username"]

    def clean_password(self):
        from django.contrib.auth.password_validation import validate_password

        validate_password(self.cleaned_data["password"])
        return self.cleaned_data["password"]


@admin.register(CampaignAccess)
class CampaignAccessAdmin(admin.ModelAdmin):
    list_display = ("user", "campaign", "created_at", "revoked_at", "valid")
    list_filter = ("campaign",)
    actions = ["revoke"]
    readonly_fields = ("user", "campaign", "created_by", "created_at", "revoked_at")

    @admin.display(boolean=True, description="Valid now")
    def valid(self, obj):
        return obj.is_valid()

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AccessForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return AccessForm.Meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        access = services.grant_partner_access(
            actor=Actor.staff(request.user), campaign=data["campaign"],
            username=data["username"], password=data["password"], created_by=request.user)
        obj.pk = access.pk

    @admin.action(description="Revoke access")
    def revoke(self, request, queryset):
        for access in queryset:
            services.revoke_access(actor=Actor.staff(request.user), access=access)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryAdminForm(forms.ModelForm, EntryForm):
    """The paper form's fields; the service does the writing."""

    class Meta:
        model = CampaignEntry
        fields = ("campaign",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice_version"].initial = consent.policy_version()
        self.fields["scan"].required = True

    def clean_notice_version(self):
        value = self.cleaned_data["notice_version"]
        try:
            check_version(value)
        except NoticeVersionError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return value

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.validate_entry(values=services.EntryValues(
                **{k: data.get(k) or "" for k in ("name", "title", "phone", "email",
                                                   "occupation")}), scan=data.get("scan"))
        except services.CampaignError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, exc.message)
        return data


@admin.register(CampaignEntry)
class CampaignEntryAdmin(PurposeBoundAdmin):
    list_display = ("created_at", "campaign", "name", "phone", "email", "via", "claimed")
    list_filter = ("campaign", "via")
    search_fields = ("=subject__id",)
    readonly_fields = ("id", "campaign", "subject_id", "name", "title", "phone", "email",
                       "occupation", "via", "recorded_by", "notice_version", "consent_event_id",
                       "scan_link", "created_at", "claimed_by_id", "claimed_at")

    mask_fields = ("name", "campaigns_title", "phone", "email", "campaigns_occupation")
    read_categories = ("user.consent",)

    def _mask(self, obj, field):
        return self.mask(obj, field)

    @admin.display(description="Name")
    def name(self, obj):
        return self._mask(obj, "name")

    @admin.display(description="Title")
    def title(self, obj):
        return self._mask(obj, "campaigns_title")

    @admin.display(description="Phone")
    def phone(self, obj):
        return self._mask(obj, "phone")

    @admin.display(description="E-mail")
    def email(self, obj):
        return self._mask(obj, "email")

    @admin.display(description="Occupational background")
    def occupation(self, obj):
        return self._mask(obj, "campaigns_occupation")

    @admin.display(description="Claimed", boolean=True)
    def claimed(self, obj):
        return obj.claimed_by_id is not None

    @admin.display(description="Consent form scan")
    def scan_link(self, obj):
        url = reverse("admin:campaigns_campaignentry_scan", args=[obj.pk])
        return format_html('<a href="{}">Open the scan (needs a reason; audited)</a>', url)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subject", "campaign")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = EntryAdminForm
            kwargs["fields"] = None
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("campaign", *EntryForm.base_fields)
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            entry = services.record_entry(
                actor=Actor.staff(request.user), campaign=data["campaign"],
                recorded_by=request.user, via=EntryVia.CONSOLE,
                values=services.EntryValues(**{k: data[k] for k in
                                               ("name", "title", "phone", "email",
                                                "occupation")}),
                notice_version=data["notice_version"], scan=data["scan"],
                lang=translation.get_language())
        except (services.CampaignError, NoticeVersionError):
            raise  # the form's clean() ran the same checks: this is a race, not bad input
        obj.pk = entry.pk

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        scan = path("<uuid:object_id>/scan/", self.admin_site.admin_view(self.scan_view),
                    name="campaigns_campaignentry_scan")
        return [scan, *super().get_urls()]

    def scan_view(self, request, object_id):
        if not request.user.has_perm("campaigns.view_scan"):
            raise PermissionDenied
        purpose = self._gate(request)
        if isinstance(purpose, HttpResponse):
            return purpose
        entry = get_object_or_404(CampaignEntry.objects.select_related(
            "subject", "consent_event"), pk=object_id)
        error = ""
        if request.method == "POST":
            try:
                data, kind = services.read_scan(actor=Actor.staff(request.user), entry=entry,
                                                reason=request.POST.get("reason", ""))
            except services.CampaignError as exc:
                error = exc.message
            except vault.VaultError as exc:
                error = f"The scan cannot be opened: {exc}"
            else:
                return files.download(data, kind, f"scan-{entry.pk}")
        return TemplateResponse(request, "campaigns/admin_scan.html", {
            **self.admin_site.each_context(request), "entry": entry, "error": error,
            "title": "Open a consent form scan", "opts": self.model._meta})
