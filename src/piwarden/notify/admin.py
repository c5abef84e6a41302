"""Staff console: campaigns (create, preview, approve, start, cancel, with a progress bar),
deliveries (read-only), the phone-call task list and announcements. Every action calls the
services; numbers are shown masked, revealed through the vault's own staff reveal page."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError
from piwarden.notify import audiences, checks, selectors, services, templates
from piwarden.notify.models import Announcement, Campaign, Channel, Delivery, PhoneTask
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.vault.models import VaultValue


class CampaignForm(forms.ModelForm):
    template = forms.ChoiceField(label=_("template"), choices=())
    audience = forms.ChoiceField(label=_("audience"), choices=())
    channels = forms.MultipleChoiceField(label=_("channels"), choices=Channel.choices,
                                         widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Campaign
        fields = ["title", "kind", "template", "fields", "audience", "audience_params",
                  "channels", "require_ack"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "template" in self.fields:  # the add form (a started campaign is read-only)
            self.fields["template"].choices = [(k, k) for k in templates.registered()]
            self.fields["audience"].choices = [(k, k) for k in audiences.registered()]

    def clean(self):
        """The service's own checks, so that a refusal shows on the form."""
        data = super().clean()
        try:
            checks.check_campaign(fields=data.get("fields") or {},
                                    channels=data.get("channels") or [],
                                    audience=data.get("audience", ""),
                                    audience_params=data.get("audience_params") or {})
        except ServiceError as error:
            raise forms.ValidationError(error.message) from error
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ["created_at", "title", "kind", "status", "audience_size", "progress_bar"]
    list_filter = ["status", "kind"]
    search_fields = ["title"]
    readonly_fields = ["status", "created_by", "approved_by", "audience_size", "counts",
                       "created_at", "approved_at", "started_at", "finished_at",
                       "progress_bar", "progress_counts"]
    actions = ["preview", "approve", "start", "cancel"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return CampaignForm.Meta.fields
        return ["title", "kind", "template", "audience", "channels", "require_ack",
                *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["title", "kind", "template", "audience", "channels", "require_ack",
                *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        created = services.create_campaign(
            actor=Actor.staff(request.user), kind=data["kind"], template=data["template"],
            fields=data["fields"] or {}, audience=data["audience"],
            audience_params=data["audience_params"] or {}, channels=data["channels"],
            require_ack=data["require_ack"], title=data["title"])
        obj.pk = created.pk

    @admin.display(description=_("progress"))
    def progress_bar(self, obj):
        done = selectors.progress(obj)
        return format_html('<progress max="100" value="{}"></progress> {}%', done["percent"],
                           done["percent"])

    @admin.display(description=_("counts"))
    def progress_counts(self, obj):
        done = selectors.progress(obj)
        parts = [f"{k}: {v}" for k, v in done["by_status"].items()]
        parts += [f"{k}: {v}" for k, v in done["by_channel"].items()]
        return ", ".join(parts) + f"; acknowledged: {done['acknowledged']}"

    def _apply(self, request, queryset, call, done: str):
        actor = Actor.staff(request.user)
        for campaign in queryset:
            try:
                result = call(actor, campaign)
            except ServiceError as error:
                self.message_user(request, f"{campaign.title}: {error.message}",
                                  messages.WARNING)
                continue
            self.message_user(request, f"{campaign.title}: {done(result)}")

    @admin.action(description=_("Preview the audience"), permissions=["change"])
    def preview(self, request, queryset):
        self._apply(request, queryset,
                    lambda actor, c: services.preview(actor=actor, campaign=c),
                    lambda p: f"{p.count} people; sample: " + ", ".join(
                        f"{s['subject']}… → {s['channel']}" for s in p.sample))

    @admin.action(description=_("Approve (second staff member)"), permissions=["change"])
    def approve(self, request, queryset):
        self._apply(request, queryset,
                    lambda actor, c: services.approve(actor=actor, campaign=c),
                    lambda c: "approved")

    @admin.action(description=_("Start sending"), permissions=["change"])
    def start(self, request, queryset):
        self._apply(request, queryset, lambda actor, c: services.start(actor=actor, campaign=c),
                    lambda c: "sending started")

    @admin.action(description=_("Cancel"), permissions=["change"])
    def cancel(self, request, queryset):
        self._apply(request, queryset,
                    lambda actor, c: services.cancel(actor=actor, campaign=c),
                    lambda c: "cancelled")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "campaign", "subject_id", "channel", "status", "language",
                    "shown_at", "acknowledged_at"]
    list_filter = ["channel", "status", "campaign"]
    list_select_related = ["campaign"]
    show_full_result_count = False


@admin.register(PhoneTask)
class PhoneTaskAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "campaign", "subject_id", "number", "status", "called_at"]
    list_filter = ["status", "campaign"]
    list_select_related = ["campaign"]
    actions = ["mark_called", "mark_not_reached"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(channel=Channel.PHONE)

    def has_change_permission(self, request, obj=None):
        """The change permission runs the actions; nothing is edited by form."""
        return obj is None and request.user.has_perm("notify.change_delivery")

    @admin.display(description=_("phone number"))
    def number(self, obj):
        row = VaultValue.objects.filter(subject_id=obj.subject_id, field="phone").first()
        if row is None:
            return "—"
        url = reverse("admin:vault_vaultvalue_reveal", args=[row.pk])
        return format_html('{} <a href="{}">{}</a>', row.mask, url, _("reveal…"))

    def _call(self, request, queryset, reached: bool):
        actor, done = Actor.staff(request.user), 0
        for delivery in queryset:
            services.record_call(actor=actor, delivery=delivery, reached=reached)
            done += 1
        self.message_user(request, f"{done} call(s) recorded.")

    @admin.action(description=_("Mark called"), permissions=["change"])
    def mark_called(self, request, queryset):
        self._call(request, queryset, True)

    @admin.action(description=_("Mark not reached"), permissions=["change"])
    def mark_not_reached(self, request, queryset):
        self._call(request, queryset, False)


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    list_display = ["published_at", "title_en", "title_zh", "campaign", "withdrawn_at"]
    actions = ["withdraw"]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("notify.change_announcement")

    @admin.action(description=_("Withdraw from the home page"), permissions=["change"])
    def withdraw(self, request, queryset):
        actor = Actor.staff(request.user)
        for announcement in queryset:
            services.withdraw_announcement(actor=actor, announcement=announcement)
        self.message_user(request, "Withdrawn.")
