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

from piwarden.audit.actors import Actor
from piwarden.rights import services
from piwarden.rights.models import (
    OPEN_STATUSES,
    OfficialDay,
    RequestChannel,
    RequestType,
    RightsRequest,
)
from piwarden.subjects.models import Subject
from piwarden.vault import files

ACTIONS = [
    ("", "—"),
    ("verify", "Identity verified: process the request"),
    ("require_evidence",
     "Require more evidence (write what is needed, nothing beyond sign-up data)"),
    ("refuse", "Refuse (write the reason; the person is told how to complain or sue)"),
    ("answer", "Answer (explanation, complaint or correction review) and complete"),
    ("apply_correction", "Apply the reviewed correction"),
]
NEEDS_TEXT = {"require_evidence", "refuse", "answer"}


class StaffEntryForm(forms.ModelForm):
    """A request received by e-mail or in writing: the scan or the mail is the evidence."""

    subject_id = forms.UUIDField(label="Data subject id")
    type = forms.ChoiceField(choices=RequestType.choices)
    categories = forms.CharField(required=False, help_text="Deletion: catalog category keys, "
                                 "comma-separated; empty = everything.")
    purpose = forms.CharField(required=False, help_text="Withdrawal: the purpose key.")
    field = forms.CharField(required=False, help_text="Correction: the field (name, address, …).")
    text = forms.CharField(required=False, widget=forms.Textarea,
                           help_text="The corrected value or the question (kept in the vault).")
    identity_checked = forms.BooleanField(
        required=False, label="The evidence proves the person's identity",
        help_text="Ticked: the request is processed at once. Otherwise it waits for verification.")

    class Meta:
        model = RightsRequest
        fields = ("subject_id", "type", "categories", "purpose", "field", "text", "evidence",
                  "identity_checked")

    def clean_subject_id(self):
        subject = Subject.objects.filter(pk=self.cleaned_data["subject_id"]).first()
        if subject is None:
            raise ValidationError("No data subject has this id.")
        return subject

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if not evidence:
            raise ValidationError("Attach the written or e-mailed request.")
        try:
            files.check(evidence, files.DOCUMENTS)
        except files.FileRefused as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        return evidence


class ActionForm(forms.ModelForm):
    action = forms.ChoiceField(choices=ACTIONS, required=False)
    text = forms.CharField(required=False, widget=forms.Textarea,
                           help_text="Reason, evidence needed or answer. It is sent to the person.")

    class Meta:
        model = RightsRequest
        fields = ("action", "text")

    def clean(self):
        data = super().clean()
        if data.get("action") in NEEDS_TEXT and not (data.get("text") or "").strip():
            raise ValidationError("A refusal needs its reason; this action needs a text.",
                                  code="REASON_REQUIRED")
        return data


class OpenFilter(admin.SimpleListFilter):
    title = "open"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open"), ("overdue", "Overdue"), ("no", "Closed")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "overdue":
            return queryset.filter(status__in=OPEN_STATUSES, due_date__lt=today)
        if self.value() == "no":
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset


@admin.register(RightsRequest)
class RightsRequestAdmin(admin.ModelAdmin):
    list_display = ("due", "type", "status", "channel", "received_at", "subject_id")
    list_filter = (OpenFilter, "status", "type", "channel")
    search_fields = ("=subject__id", "=id")
    ordering = ("due_date", "received_at")
    readonly_fields = ("id", "subject", "type", "channel", "status", "received_at", "due_date",
                       "due_provisional", "params", "request_details", "staff_note",
                       "refusal_reason", "answer", "evidence_link", "verified_at", "closed_at",
                       "export_archive_id", "erasure_run_id", "cooling_off_until",
                       "cancellation_started_at", "reminded_at", "escalated_at", "history")

    @admin.display(description="History")
    def history(self, obj):
        return format_html_join(
            "\n", "<div>{} {} → {} ({}) {}</div>",
            ((e.at.strftime("%Y-%m-%d %H:%M"), e.status_from or "-", e.status_to, e.actor,
              e.note) for e in obj.events.all()))

    @admin.display(description="Due", ordering="due_date")
    def due(self, obj):
        label = f"{obj.due_date}{' (provisional)' if obj.due_provisional else ''}"
        if obj.is_overdue:
            return format_html('<strong style="color:#cf222e" data-overdue>{} overdue</strong>',
                               label)
        return label

    @admin.display(description="Details (from the vault)")
    def request_details(self, obj):
        return services.details(obj)

    @admin.display(description="Evidence")
    def evidence_link(self, obj):
        if not obj.evidence:
            return "—"
        url = reverse("admin:rights_rightsrequest_evidence", args=[obj.pk])
        return format_html('<a href="{}">Download the evidence (audited)</a>', url)

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
            messages.error(request, f"{exc.code}: {exc.message}")

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
