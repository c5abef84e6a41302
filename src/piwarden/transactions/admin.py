"""Staff console: corporate transactions and their Art. 22 steps (notices with progress,
the undertaking, a change of processing, the masked data-room sample, the export with its
link shown once). Every change goes through ``transactions.services`` (audited); a refusal
is shown on the page rather than failing the request."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.catalog.models import DataCategory
from piwarden.errors import ServiceError
from piwarden.notify.selectors import progress
from piwarden.transactions import dataroom, selectors, services
from piwarden.transactions.models import Audience, CorporateTransaction, Kind

CHANGE = "transactions.change_corporatetransaction"


class CreateForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices)
    parties = forms.CharField(label=_("parties"), widget=forms.Textarea(attrs={"rows": 3}))
    categories = forms.MultipleChoiceField(label=_("categories"),
                                           widget=forms.CheckboxSelectMultiple)
    audience = forms.ChoiceField(label=_("affected people"), choices=Audience.choices)
    subject_ids = forms.CharField(label=_("listed subject ids"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("One per line, for a listed audience."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            allowed = selectors.flow().categories
        except ServiceError:
            allowed = []
        if not allowed:
            self.fields["categories"].help_text = _(
                "Nothing to choose yet: name the new holder in the data catalog (legal name, "
                "country, contact, the categories it may receive) and load it.")
        zh = translation.get_language() == "zh-hans"
        names = {c.key: c.name_zh if zh else c.name_en
                 for c in DataCategory.objects.filter(key__in=allowed)}
        self.fields["categories"].choices = [(c, names.get(c, c)) for c in allowed]


class NoticesForm(forms.Form):
    event_zh = forms.CharField(label=_("What happens (Chinese)"), widget=forms.Textarea)
    event_en = forms.CharField(label=_("What happens (English)"), widget=forms.Textarea)


class UndertakingForm(forms.Form):
    reference = forms.CharField(label=_("undertaking reference"), max_length=200)
    signed_on = forms.DateField(label=_("undertaking date"),
                                widget=forms.DateInput(attrs={"type": "date"}))


class ChangeForm(forms.Form):
    change = forms.CharField(label=_("change of purpose or method"), widget=forms.Textarea)


class SampleForm(forms.Form):
    size = forms.IntegerField(label=_("people in the sample"), min_value=1,
                              max_value=services.MAX_SAMPLE, initial=20)


@admin.register(CorporateTransaction)
class CorporateTransactionAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "policy_version_label", "created_at"]
    list_filter = ["kind", "status"]
    actions = ["cancel"]
    readonly_fields = ["steps", "title", "kind", "parties", "recipient", "holder",
                       "categories", "audience", "listed", "policy_version_label",
                       "undertaking_reference", "undertaking_date", "processing_change",
                       "processing_change_at", "status", "campaign_id", "provision_id",
                       "created_by", "created_at", "exported_at", "cancelled_at"]
    fields = readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        """A transaction's page is read-only (no save button writing past the services); its
        steps have their own pages, and the list keeps the change permission for actions."""
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description=_("listed people"))
    def listed(self, obj):
        return len(obj.subject_ids)

    @admin.display(description=_("new holder"))
    def holder(self, obj):
        found = selectors.recipient()
        return f"{found.legal_name} · {found.contact}" if found and found.legal_name else "—"

    @admin.display(description=_("steps"))
    def steps(self, obj):
        links = [(reverse(f"admin:transactions_{name}", args=[obj.pk]), label)
                 for name, label in _STEPS]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    # --- views --------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/notices/", view(self.notices_view), name="transactions_notices"),
                path("<int:pk>/undertaking/", view(self.undertaking_view),
                     name="transactions_undertaking"),
                path("<int:pk>/processing/", view(self.change_view_processing),
                     name="transactions_processing"),
                path("<int:pk>/sample/", view(self.sample_view), name="transactions_sample"),
                path("<int:pk>/export/", view(self.export_view), name="transactions_export"),
                *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = services.create_transaction(
                    actor=Actor.staff(request.user), title=data["title"], kind=data["kind"],
                    parties=data["parties"], categories=data["categories"],
                    audience=data["audience"], subject_ids=data["subject_ids"].split())
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                return redirect("admin:transactions_corporatetransaction_change", created.pk)
        return self._page(request, None, _("New corporate transaction"), form=form,
                          submit=_("Create"))

    def _page(self, request, tx, step, **context):
        return TemplateResponse(request, "admin/transactions/step.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "tx": tx, "step": step, "title": step, **context})

    def _tx(self, request, pk: int, permission: str = CHANGE) -> CorporateTransaction:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return get_object_or_404(CorporateTransaction, pk=pk)

    def _done(self, request, tx, call, success) -> bool:
        try:
            call(Actor.staff(request.user))
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def notices_view(self, request, pk: int):
        tx = self._tx(request, pk)
        if request.method == "POST":
            do = request.POST.get("do", "draft")
            calls = {"preview": services.preview_notices, "approve": services.approve_notices,
                     "start": services.start_notices, "refresh": services.refresh}
            if do == "draft":
                form = NoticesForm(request.POST)
                if form.is_valid():
                    event = {"zh-hans": form.cleaned_data["event_zh"],
                             "en": form.cleaned_data["event_en"]}
                    self._done(request, tx, lambda a: services.draft_notices(
                        actor=a, transaction=tx, event=event), _("The notice is drafted."))
            elif do in calls:
                found = {}
                self._done(request, tx, lambda a: found.setdefault(
                    "result", calls[do](actor=a, transaction=tx)), _("Done."))
                if do == "preview" and "result" in found:
                    return self._notices_page(request, tx, found["result"])
            return redirect("admin:transactions_notices", pk)
        return self._notices_page(request, tx, None)

    def _notices_page(self, request, tx, preview):
        tx.refresh_from_db()
        campaign = selectors.campaign(tx)
        if campaign is None:
            return self._page(request, tx, _("Notices"), form=NoticesForm(),
                              submit=_("Draft the notice"))
        counts = progress(campaign)
        facts = [(_("status"), campaign.get_status_display()),
                 (_("affected people"), counts["audience"]),
                 (_("handed out"), f"{counts['handed_out']} ({counts['percent']}%)"),
                 (_("delivered"), counts["by_status"]["sent"]),
                 (_("waiting"), counts["by_status"]["pending"]),
                 (_("failed"), counts["by_status"]["failed"]),
                 (_("no channel"), counts["by_status"]["unreachable"]),
                 (_("notices complete"), _("yes") if selectors.notices_complete(tx)
                  else _("no"))]
        if preview is not None:
            facts.insert(0, (_("people now in the audience"), preview.count))
        buttons = [("preview", _("Preview")), ("approve", _("Approve (second staff member)")),
                   ("start", _("Start sending")), ("refresh", _("Check completion"))]
        return self._page(request, tx, _("Notices"), facts=facts, buttons=buttons,
                          sample=preview.sample if preview is not None else None)

    def _form_view(self, request, pk, form_class, step, submit, call, success):
        tx = self._tx(request, pk)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid() and self._done(
                request, tx, lambda a: call(a, tx, form.cleaned_data), success):
            return redirect("admin:transactions_corporatetransaction_change", pk)
        return self._page(request, tx, step, form=form, submit=submit)

    def undertaking_view(self, request, pk: int):
        return self._form_view(
            request, pk, UndertakingForm, _("The new holder's undertaking"), _("Record"),
            lambda a, tx, d: services.record_undertaking(actor=a, transaction=tx, **d),
            _("The undertaking is recorded."))

    def change_view_processing(self, request, pk: int):
        return self._form_view(
            request, pk, ChangeForm, _("Change of purpose or method"), _("Record"),
            lambda a, tx, d: services.record_processing_change(actor=a, transaction=tx, **d),
            _("Recorded: the export waits for new consent."))

    def sample_view(self, request, pk: int):
        tx = self._tx(request, pk, "transactions.sample_corporatetransaction")
        form = SampleForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                rows = services.data_room_sample(actor=Actor.staff(request.user),
                                                 transaction=tx, size=form.cleaned_data["size"])
            except ServiceError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                response = HttpResponse(dataroom.as_csv(rows), content_type="text/csv")
                response["Content-Disposition"] = f'attachment; filename="data-room-{pk}.csv"'
                response["Cache-Control"] = "no-store"
                return response
        return self._page(request, tx, _("Data-room sample (masked values only)"), form=form,
                          submit=_("Download CSV"))

    def export_view(self, request, pk: int):
        tx = self._tx(request, pk, "transactions.export_corporatetransaction")
        if request.method != "POST":
            return self._page(request, tx, _("Export to the new holder"),
                              buttons=[("export", _("Export now"))])
        try:
            provision, token = services.export(actor=Actor.staff(request.user), transaction=tx)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect("admin:transactions_export", pk)
        link = request.build_absolute_uri(reverse("api:sharing_package", args=[token])) \
            if token else ""
        facts = [(_("provision"), str(provision.pk)), (_("people considered"),
                                                       provision.considered),
                 (_("people provided"), provision.provided),
                 (_("left out"), ", ".join(f"{k}: {v}" for k, v in provision.dropped.items())
                  or "—"), (_("link expires"), provision.expires_at or "—")]
        return self._page(request, tx, _("Export to the new holder"), facts=facts, link=link)

    @admin.action(description=_("Cancel the transaction"), permissions=["change"])
    def cancel(self, request, queryset):
        for tx in queryset:
            self._done(request, tx, lambda a, tx=tx: services.cancel(actor=a, transaction=tx),
                       format_html("{}: {}", tx, _("cancelled")))


_STEPS = [("notices", _("Notices")), ("undertaking", _("Undertaking")),
          ("processing", _("Change of processing")), ("sample", _("Data-room sample")),
          ("export", _("Export"))]
