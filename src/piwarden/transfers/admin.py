"""Staff console for cross-border transfers: the transfer records with what blocks each today,
the year's counters against the thresholds, and the people held back at a threshold.

Every change goes through ``transfers.services`` (audited): the record form's clean step calls
the service, so a refusal shows on the form; filing, suspending and activating ask for their
details on a small page first."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from piwarden.admin_actions import run_per_row
from piwarden.incidents.admin import ServiceAdmin, ServiceForm
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.sharing.labels import country_label
from piwarden.sharing.models import Flow
from piwarden.transfers import rules, services
from piwarden.transfers.models import Hold, RecordStatus, TransferRecord, YearCounter

COMPUTED = ["problems_today", "expires", "filing_due_on"]
# rules.problems() speaks English: its fixed sentences are translated here (gettext at
# display time), and the two with a date are rebuilt from the same rules.
STATIC_PROBLEMS = (
    gettext_noop("The transfer record is suspended."),
    gettext_noop("Declare whether important data is involved ('none' explicitly)."),
    gettext_noop("The Art. 39 notice says how to exercise rights against the recipient, in "
                 "both languages."),
    gettext_noop("Say why the exemption applies."),
    gettext_noop("Important data leaves only after a CAC security assessment."),
    gettext_noop("A critical information infrastructure operator transfers only after a CAC "
                 "security assessment."),
    gettext_noop("Record the filing, certificate or approval reference."),
    gettext_noop("The mechanism has not taken effect."),
)


def problem_text(record: TransferRecord, code: str, message: str) -> str:
    """The problem in the staff member's language."""
    if code == "MECHANISM_EXPIRED":
        return gettext("The mechanism expired on %(date)s.") % {
            "date": rules.expires_on(record)}
    if code == "MECHANISM_UNFILED" and "not filed" in message:
        words = (gettext("The standard contract is not filed since it changed (due by "
                         "%(date)s).") if "since it changed" in message else
                 gettext("The standard contract is not filed (due by %(date)s)."))
        return words % {"date": rules.filing_due(record)}
    return gettext(message)


class RecordForm(ServiceForm):
    categories = forms.CharField(
        label=capfirst(_("categories")), required=False,
        help_text=_("Catalog category keys, separated by commas; empty: the flow's allowlist."))

    class Meta:
        model = TransferRecord
        fields = ["flow", *services.EDITABLE]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "flow" in self.fields:  # only overseas flows without a record yet
            self.fields["flow"].queryset = Flow.objects.filter(
                cross_border=True, transfer_record__isnull=True)
        if self.instance.pk:
            self.initial["categories"] = ", ".join(self.instance.categories)

    def clean_categories(self):
        return [key.strip() for key in self.cleaned_data["categories"].split(",")
                if key.strip()]

    def perform(self, actor, data):
        values = {k: data[k] for k in services.EDITABLE if k in data}
        if self.instance.pk is None:
            if not values.get("categories"):
                values.pop("categories", None)
            return services.create_record(actor=actor, flow=data["flow"], **values)
        return services.update_record(actor=actor, record=self.instance, **values)


class FilingForm(forms.Form):
    reference = forms.CharField(label=_("filing reference"), max_length=120)
    filed_on = forms.DateField(label=_("filed on"), initial=timezone.localdate)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


def _with_form(modeladmin, request, queryset, form_class, title, call, done):
    """An action that asks for details first (the admin's intermediate-page pattern)."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        run_per_row(modeladmin, request, queryset, lambda a, r: call(a, r, form.cleaned_data), done)
        return None
    return TemplateResponse(request, "admin/transfers/action_form.html", {
        **modeladmin.admin_site.each_context(request), "opts": modeladmin.model._meta,
        "title": title, "form": form, "rows": queryset, "action": request.POST["action"],
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)})


@admin.register(TransferRecord)
class TransferRecordAdmin(ServiceAdmin):
    form = RecordForm
    list_display = ["recipient", "country_name", "mechanism", "status", "problems_today",
                    "expires", "filing_due_on"]
    list_filter = ["status", "mechanism", "country"]
    list_select_related = ["flow"]
    actions = ["record_filing", "suspend", "activate"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["flow", *services.EDITABLE]
        return ["flow", "country", "status", *services.EDITABLE, "filed_on", "changed_on",
                *COMPUTED, "updated_at", "updated_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["flow", "country", "status", "filed_on", "changed_on", *COMPUTED,
                "updated_at", "updated_by"]

    @admin.display(description=_("overseas recipient"), ordering="flow__recipient")
    def recipient(self, obj):
        """Its name from the catalog, not the flow's keys."""
        from piwarden.catalog.models import Recipient

        found = Recipient.objects.filter(key=obj.flow.recipient).first()
        return found.name if found else obj.flow.recipient

    @admin.display(description=_("country or region"), ordering="country")
    def country_name(self, obj):
        return country_label(obj.country, "zh-hans" if _is_zh() else "en")

    @admin.display(description=_("problems today"))
    def problems_today(self, obj):
        found = rules.problems(obj, timezone.localdate())
        if not found:
            return _("None: transfers may pass")
        return format_html_join("", "<div>{}</div>", ((problem_text(obj, code, message),)
                                                      for code, message in found))

    @admin.display(description=_("expires on"))
    def expires(self, obj):
        return rules.expires_on(obj) or "—"

    @admin.display(description=_("filing due by"))
    def filing_due_on(self, obj):
        """Only while a filing is owed (a filed contract shows none)."""
        return (not obj.filed_on and rules.filing_due(obj)) or "—"

    @admin.action(description=_("Record the filing of the standard contract"),
                  permissions=["change"])
    def record_filing(self, request, queryset):
        return _with_form(
            self, request, queryset, FilingForm, _("Record the filing"),
            lambda a, r, d: services.record_filing(actor=a, record=r, reference=d["reference"],
                                                   filed_on=d["filed_on"]),
            _("filing recorded"))

    @admin.action(description=_("Suspend: let nothing pass"), permissions=["change"])
    def suspend(self, request, queryset):
        return _with_form(
            self, request, queryset, ReasonForm, _("Suspend the transfers"),
            lambda a, r, d: services.set_status(actor=a, record=r,
                                                status=RecordStatus.SUSPENDED,
                                                reason=d["reason"]),
            _("suspended"))

    @admin.action(description=_("Activate again"), permissions=["change"])
    def activate(self, request, queryset):
        return _with_form(
            self, request, queryset, ReasonForm, _("Activate the transfers again"),
            lambda a, r, d: services.set_status(actor=a, record=r, status=RecordStatus.ACTIVE,
                                                reason=d["reason"]),
            _("active"))


def _is_zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


@admin.register(YearCounter)
class YearCounterAdmin(ReadOnlyAdmin):
    """People this year against what each mechanism allows; the thresholds' source is shown
    above the list."""

    change_list_template = "admin/transfers/yearcounter/change_list.html"
    list_display = ["the_year", "kind", "people_counted", "without_mechanism", "with_contract",
                    "with_assessment"]
    ordering = ["-year", "sensitive"]

    @admin.display(description=_("year"), ordering="year")
    def the_year(self, obj):
        return obj.year

    @admin.display(description=_("people"))
    def people_counted(self, obj):
        return obj.people

    @admin.display(description=_("kind"))
    def kind(self, obj):
        return _("sensitive PI") if obj.sensitive else _("non-sensitive PI")

    def _limit(self, obj, tier: int):
        limit = rules.thresholds().limit(tier, obj.sensitive)
        return _("no limit") if limit >= rules.UNLIMITED else limit

    @admin.display(description=_("allowed without a mechanism"))
    def without_mechanism(self, obj):
        return self._limit(obj, 0)

    @admin.display(description=_("allowed with a standard contract or certification"))
    def with_contract(self, obj):
        return self._limit(obj, 1)

    @admin.display(description=_("allowed with a security assessment"))
    def with_assessment(self, obj):
        return self._limit(obj, 2)

    def changelist_view(self, request, extra_context=None):
        data = rules.thresholds()
        return super().changelist_view(request, {
            **(extra_context or {}), "source": data.source, "ciio": rules.ciio(),
            "thresholds": data.entries})


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    """Batches held back at a threshold: people counted, never listed."""

    list_display = ["record", "year", "people", "reason", "created_at", "released_at",
                    "released_by"]
    list_filter = ["year", ("released_at", admin.EmptyFieldListFilter)]
    list_select_related = ["record__flow"]
    fields = readonly_fields = ["record", "year", "people", "categories", "reason",
                                "created_at", "released_at", "released_by"]
    actions = ["release"]

    @admin.display(description=_("people"))
    def people(self, obj):
        return len(obj.subject_ids)

    @admin.action(description=_("Release: provide the held people now"),
                  permissions=["release"])
    def release(self, request, queryset):
        """Through the gateway, outside any transaction: people still over the limit wait in
        a new hold."""
        def call(actor, hold):
            provision, token = services.release(actor=actor, hold=hold)
            link = request.build_absolute_uri(reverse("api:sharing_package", args=[token]))
            self.message_user(request, _("%(hold)s: %(provided)s people provided.") % {
                "hold": hold, "provided": provision.provided} + (
                " " + _("Package link (shown once): %(link)s") % {"link": link}
                if token else ""), messages.INFO)
        run_per_row(self, request, queryset, call, _("released through the gateway"))

    def has_release_permission(self, request):
        return request.user.has_perm("transfers.change_hold")
