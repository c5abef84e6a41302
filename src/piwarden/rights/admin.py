"""Rights requests in the staff console: open requests by due date (overdue in red), staff
entry of written or e-mailed requests with the evidence, and the handling actions. Every
write goes through ``services``. The evidence is stored sealed; it opens only through the
audited download, with ``rights.view_evidence``."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.catalog import labels
from piwarden.rights import services
from piwarden.rights.forms import FIELD_LABELS
from piwarden.rights.models import (
    OPEN_STATUSES,
    OfficialDay,
    RequestChannel,
    RequestStatus,
    RequestType,
    RightsRequest,
)
from piwarden.subjects.models import Subject
from piwarden.vault import files

ACTIONS = [
    ("", "—"),
    ("verify", _("Identity verified: process the request")),
    ("require_evidence",
     _("Require more evidence (write what is needed, nothing beyond sign-up data)")),
    ("refuse", _("Refuse (write the reason; the person is told how to complain or sue)")),
    ("answer", _("Answer (explanation, complaint or correction review) and complete")),
    ("apply_correction", _("Apply the reviewed correction")),
]
NEEDS_TEXT = {"require_evidence", "refuse", "answer"}

# Statuses in staff wording: the model's labels speak to the person ("Withdrawn by you").
STAFF_STATUS = {
    RequestStatus.RECEIVED: pgettext_lazy("rights request status", "Received"),
    RequestStatus.VERIFYING: pgettext_lazy("rights request status", "Verifying identity"),
    RequestStatus.VERIFIED: pgettext_lazy("rights request status", "Identity verified"),
    RequestStatus.IN_PROGRESS: pgettext_lazy("rights request status", "In progress"),
    RequestStatus.COMPLETED: pgettext_lazy("rights request status", "Completed"),
    RequestStatus.REFUSED: pgettext_lazy("rights request status", "Refused"),
    RequestStatus.WITHDRAWN: pgettext_lazy("rights request status", "Withdrawn by the person"),
}
LANGUAGES = {"en": _("English"), "zh-hans": _("Simplified Chinese")}


def staff_status(code: str) -> str:
    """A request status in staff wording (the code itself only if it is unknown)."""
    return str(STAFF_STATUS.get(code, code))


def params_in_words(params: dict) -> list[tuple[str, str, str]]:
    """A request's parameters as (what, words, key) rows: the key beside the words, for staff
    who search or write to the catalog by key."""
    rows = []
    params = params if isinstance(params, dict) else {}
    if "categories" in params:
        keys = params.get("categories") or []
        rows.append((gettext("Data to delete"),
                     labels.categories(keys) if keys else gettext("Everything held about "
                                                                  "the person"),
                     ", ".join(keys)))
    if params.get("purpose"):
        rows.append((gettext("Consent to withdraw"), labels.purpose(params["purpose"]),
                     params["purpose"]))
    if params.get("scope") and params.get("purpose"):
        rows.append((gettext("Consent scope"), labels.scope(params["scope"]), params["scope"]))
    if params.get("field"):
        rows.append((gettext("Information to correct"),
                     str(FIELD_LABELS.get(params["field"], labels.humanise(params["field"]))),
                     params["field"]))
    if params.get("lang"):
        rows.append((gettext("Language of the replies"),
                     str(LANGUAGES.get(params["lang"], params["lang"])), params["lang"]))
    # The refusal in both languages is shown as the request's refusal reason already.
    known = {"categories", "purpose", "scope", "field", "lang", "refusal"}
    for key in sorted(set(params) - known):
        value = params[key]
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        rows.append((labels.humanise(key), str(value), key))
    return rows


class StaffEntryForm(forms.ModelForm):
    """A request received by e-mail or in writing: the scan or the mail is the evidence."""

    subject_id = forms.UUIDField(label=_("Data subject id"))
    type = forms.ChoiceField(label=_("Type"), choices=RequestType.choices)
    categories = forms.CharField(label=_("Data categories"), required=False,
                                 help_text=_("Deletion: catalog category keys, comma-separated; "
                                             "empty = everything."))
    purpose = forms.CharField(label=_("Purpose"), required=False,
                              help_text=_("Withdrawal: the purpose key."))
    field = forms.CharField(label=_("Field"), required=False,
                            help_text=_("Correction: the field (name, address, …)."))
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea,
                           help_text=_("The corrected value or the question (kept in the "
                                       "vault)."))
    identity_checked = forms.BooleanField(
        required=False, label=_("The evidence proves the person's identity"),
        help_text=_("Ticked: the request is processed at once. Otherwise it waits for "
                    "verification."))

    class Meta:
        model = RightsRequest
        fields = ("subject_id", "type", "categories", "purpose", "field", "text", "evidence",
                  "identity_checked")

    def clean_subject_id(self):
        subject = Subject.objects.filter(pk=self.cleaned_data["subject_id"]).first()
        if subject is None:
            raise ValidationError(_("No data subject has this id."))
        return subject

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if not evidence:
            raise ValidationError(_("Attach the written or e-mailed request."))
        try:
            files.check(evidence, files.DOCUMENTS)
        except files.FileRefused as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        return evidence


class ActionForm(forms.ModelForm):
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS, required=False)
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea,
                           help_text=_("Reason, evidence needed or answer. It is sent to the "
                                       "person."))

    class Meta:
        model = RightsRequest
        fields = ("action", "text")

    def clean(self):
        data = super().clean()
        if data.get("action") in NEEDS_TEXT and not (data.get("text") or "").strip():
            raise ValidationError(_("A refusal needs its reason; this action needs a text."),
                                  code="REASON_REQUIRED")
        return data


class OpenFilter(admin.SimpleListFilter):
    title = pgettext_lazy("rights request", "open")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", pgettext_lazy("rights request", "Open")),
                ("overdue", pgettext_lazy("rights request", "Overdue")),
                ("no", pgettext_lazy("rights request", "Closed"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "overdue":
            return queryset.filter(status__in=OPEN_STATUSES, due_date__lt=today)
        if self.value() == "no":
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset


class StatusFilter(admin.SimpleListFilter):
    """The status filter in staff wording (same ``status__exact`` parameter as Django's)."""

    title = _("status")
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        return list(STAFF_STATUS.items())

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(RightsRequest)
class RightsRequestAdmin(admin.ModelAdmin):
    list_display = ("due", "type", "status_word", "channel", "received", "subject_short")
    list_filter = (OpenFilter, StatusFilter, "type", "channel")
    search_fields = ("=subject__id", "=id")
    ordering = ("due_date", "received_at")
    readonly_fields = ("id", "subject", "type", "channel", "status_word", "received",
                       "due", "request_params", "request_details",
                       "staff_note", "refusal_reason", "answer", "evidence_link", "verified",
                       "closed", "export_archive_id", "erasure_run_id", "cooling_off",
                       "cancellation_started", "reminded", "escalated", "history")

    @admin.display(description=_("History (China time)"))
    def history(self, obj):
        rows = format_html_join(
            "\n", '<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            ((labels.china_time(e.at),
              staff_status(e.status_from) if e.status_from else "—",
              staff_status(e.status_to), e.actor, e.note) for e in obj.events.all()))
        return format_html(
            '<table class="rights-history"><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            gettext("When"), gettext("From"), gettext("To"), gettext("By"), gettext("Note"),
            rows)

    @admin.display(description=_("Parameters"))
    def request_params(self, obj):
        rows = params_in_words(obj.params)
        if not rows:
            return "—"
        return format_html_join(
            "\n", '<div>{} <code>{}</code></div>',
            ((gettext("%(what)s: %(words)s") % {"what": what, "words": words}, key)
             for what, words, key in rows))

    @admin.display(description=_("Status"), ordering="status")
    def status_word(self, obj):
        return staff_status(obj.status)

    @admin.display(description=_("Person"), ordering="subject_id")
    def subject_short(self, obj):
        return format_html('<code title="{}">{}</code>', obj.subject_id, str(obj.subject_id)[:8])

    @admin.display(description=_("Received (China time)"), ordering="received_at")
    def received(self, obj):
        return labels.china_time(obj.received_at)

    @admin.display(description=_("Identity verified (China time)"))
    def verified(self, obj):
        return labels.china_time(obj.verified_at) or "—"

    @admin.display(description=_("Closed (China time)"))
    def closed(self, obj):
        return labels.china_time(obj.closed_at) or "—"

    @admin.display(description=_("Cooling-off until (China time)"))
    def cooling_off(self, obj):
        return labels.china_time(obj.cooling_off_until) or "—"

    @admin.display(description=_("Cancellation started (China time)"))
    def cancellation_started(self, obj):
        return labels.china_time(obj.cancellation_started_at) or "—"

    @admin.display(description=_("Reminded (China time)"))
    def reminded(self, obj):
        return labels.china_time(obj.reminded_at) or "—"

    @admin.display(description=_("Escalated (China time)"))
    def escalated(self, obj):
        return labels.china_time(obj.escalated_at) or "—"

    @admin.display(description=_("Due"), ordering="due_date")
    def due(self, obj):
        label = labels.china_date(obj.due_date)
        if obj.due_provisional:
            label = gettext("%(date)s (provisional)") % {"date": label}
        if obj.is_overdue:
            return format_html('<strong style="color:#cf222e" data-overdue>{}</strong>',
                               gettext("%(date)s overdue") % {"date": label})
        return label

    @admin.display(description=_("Details (from the vault)"))
    def request_details(self, obj):
        return services.details(obj)

    @admin.display(description=_("Evidence"))
    def evidence_link(self, obj):
        if not obj.evidence:
            return "—"
        url = reverse("admin:rights_rightsrequest_evidence", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url,
                           gettext("Download the evidence (audited)"))

    def get_urls(self):
        evidence = path("<uuid:object_id>/evidence/",
                        self.admin_site.admin_view(self.evidence_view),
                        name="rights_rightsrequest_evidence")
        return [evidence, *super().get_urls()]

    def evidence_view(self, request, object_id):
        """The decrypted evidence; the raw file under MEDIA_ROOT is never served."""
        if not request.user.has_perm("rights.view_evidence"):
            raise PermissionDenied
        req = get_object_or_404(RightsRequest.objects.select_related("subject"), pk=object_id)
        try:
            data, kind = services.read_evidence(actor=Actor.staff(request.user),
                                                rights_request=req)
        except services.RightsError as exc:
            return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
        return files.download(data, kind, f"rights-evidence-{req.pk}")

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = StaffEntryForm if obj is None else ActionForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return StaffEntryForm.Meta.fields
        return (*self.readonly_fields, "action", "text")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        actor = Actor.staff(request.user)
        try:
            if not change:
                params = {"categories": [c.strip() for c in data["categories"].split(",")
                                         if c.strip()],
                          "purpose": data["purpose"], "field": data["field"]}
                created = services.submit(actor=actor, subject=data["subject_id"],
                                          type=data["type"], channel=RequestChannel.STAFF,
                                          params=params, text=data["text"],
                                          verified=data["identity_checked"],
                                          evidence=data["evidence"])
                obj.pk = created.pk
                return
            action = data.get("action")
            fresh = RightsRequest.objects.get(pk=obj.pk)
            if action == "verify":
                services.verify(actor=actor, rights_request=fresh)
            elif action == "require_evidence":
                services.require_evidence(actor=actor, rights_request=fresh, note=data["text"])
            elif action == "refuse":
                services.refuse(actor=actor, rights_request=fresh, reason=data["text"])
            elif action == "answer":
                services.answer(actor=actor, rights_request=fresh, text=data["text"])
            elif action == "apply_correction":
                services.apply_correction(actor=actor, rights_request=fresh)
        except services.RightsError as exc:
            messages.error(request, f"{exc.message} ({exc.code})")

    def save_related(self, request, form, formsets, change):
        """Events are written by the services only."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OfficialDay)
class OfficialDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        services.set_official_days(actor=Actor.staff(request.user),
                                   days={obj.date: obj.is_workday}, note=obj.note)
        obj.pk = OfficialDay.objects.get(date=obj.date).pk

    def has_delete_permission(self, request, obj=None):
        return False
