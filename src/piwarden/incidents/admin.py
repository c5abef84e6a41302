"""Staff console: incidents (timeline, decision, reports, packs), drills, playbooks and the
evidence pack. Every change goes through ``incidents.services`` (audited): a form's clean step
calls the service, so a refusal shows on the form instead of failing the request."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from piwarden.admin_actions import run_per_row
from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError
from piwarden.incidents import evidence, packs, services
from piwarden.incidents.models import (
    AffectedPerson,
    Drill,
    Incident,
    IncidentEvent,
    Playbook,
    ProgressUpdate,
    RegulatorSubmission,
)
from piwarden.readonly_admin import ReadOnlyAdmin


class ServiceForm(forms.ModelForm):
    """A console form whose clean step is the service call (``perform``)."""

    request = None
    result = None

    def perform(self, actor: Actor, data: dict):
        raise NotImplementedError

    def _post_clean(self):
        """After every field and model check passed, so a form that is refused anyway
        never writes."""
        super()._post_clean()
        if not self.errors:
            try:
                self.result = self.perform(Actor.staff(self.request.user), self.cleaned_data)
            except ServiceError as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, error.message)


class ServiceAdmin(admin.ModelAdmin):
    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        obj.__dict__.update({k: v for k, v in form.result.__dict__.items()
                             if not k.startswith("_")})

    def save_related(self, request, form, formsets, change):
        """The inlines are read-only: saving them changes nothing (the admin's log needs it)."""
        for formset in formsets:
            formset.save()

    def has_delete_permission(self, request, obj=None):
        return False


class IncidentForm(ServiceForm):
    class Meta:
        model = Incident
        fields = ["title", "summary", "severity", "detected_at", "occurred_from",
                  "occurred_to", "principal_kind", "principal_id", *services.ELEMENTS[2:],
                  "decision", "justification"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decided = (self.instance.decision, self.instance.justification)

    def perform(self, actor, data):
        fields = {name: data[name] for name in data if name in services.EDITABLE}
        if self.instance.pk is None:
            fields.pop("severity")
            return services.create_incident(
                actor=actor, severity=data["severity"], principal_kind=data["principal_kind"],
                principal_id=data["principal_id"], detected_at=data.get("detected_at"),
                **fields)
        incident = services.update_incident(actor=actor, incident=self.instance, **fields)
        decision, justification = data.get("decision", ""), data.get("justification", "")
        if decision and (decision, justification) != self.decided:
            incident = services.decide_notification(
                actor=actor, incident=incident, notify=decision == "notify",
                justification=justification)
        return incident


class EventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "kind", "actor", "detail"]

    def has_add_permission(self, request, obj=None):
        return False


class SubmissionInline(EventInline):
    model = RegulatorSubmission
    fields = readonly_fields = ["authority", "submitted_at", "reference", "receipt_sha256"]


class UpdateInline(EventInline):
    model = ProgressUpdate
    fields = readonly_fields = ["created_at", "text_zh", "text_en", "campaign"]


@admin.register(Incident)
class IncidentAdmin(ServiceAdmin):
    form = IncidentForm
    list_display = ["title", "severity", "status", "detected_at", "report_due_at",
                    "people_count", "decision"]
    list_filter = ["severity", "status", "decision"]
    inlines = [EventInline, SubmissionInline, UpdateInline]
    actions = ["scope", "contain", "draft_notice", "close"]
    computed = ["status", "rule_set", "report_due_at", "escalated_at", "scoped_at",
                "people_count", "category_counts", "notice_campaign", "progress_due_at",
                "decided_at", "decided_by", "created_by", "created_at", "closed_at", "playbook",
                "packs"]

    def get_fields(self, request, obj=None):
        fields = [f.name for f in Incident._meta.fields if f.name != "id"]
        if obj is None:
            return [f for f in fields if f not in self.computed
                    and f not in ("decision", "justification", "progress_every_days")]
        return [*fields, "playbook", "packs"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.computed, "detected_at", "principal_kind", "principal_id",
                "progress_every_days"]

    def get_changeform_initial_data(self, request):
        return {"detected_at": timezone.now(), **super().get_changeform_initial_data(request)}

    @admin.display(description=_("Playbook"))
    def playbook(self, obj):
        found = Playbook.objects.filter(severity=obj.severity).first()
        return format_html("<pre>{}</pre>", found.steps) if found else "—"

    @admin.display(description=_("Report packs"))
    def packs(self, obj):
        return format_html('<a href="{}">{}</a> · <a href="{}">JSON</a>',
                           reverse("admin:incidents_pack", args=[obj.pk, "html"]),
                           _("Printable report"),
                           reverse("admin:incidents_pack", args=[obj.pk, "json"]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/pack.<str:fmt>", view(self.pack_view), name="incidents_pack"),
                path("evidence.<str:fmt>", view(self.evidence_view),
                     name="incidents_evidence"),
                *super().get_urls()]

    def pack_view(self, request, pk: int, fmt: str):
        if not request.user.has_perm("incidents.export_incident"):
            raise PermissionDenied
        incident = get_object_or_404(Incident, pk=pk)
        if fmt == "json":
            return _json(packs.regulator_pack(incident), f"incident-{pk}.json")
        return HttpResponse(packs.regulator_html(incident), content_type="text/html")

    def evidence_view(self, request, fmt: str):
        if not request.user.has_perm("incidents.export_incident"):
            raise PermissionDenied
        if fmt == "json":
            return _json(evidence.pack(), "evidence-pack.json")
        return HttpResponse(evidence.html(), content_type="text/html")

    @admin.action(description=_("Scope: list the people concerned"), permissions=["change"])
    def scope(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda a, i: services.scope_incident(actor=a, incident=i), _("scoped"))

    @admin.action(description=_("Mark contained"), permissions=["change"])
    def contain(self, request, queryset):
        run_per_row(self, request, queryset, lambda a, i: services.contain(actor=a, incident=i),
                    _("contained"))

    @admin.action(description=_("Draft the Art. 57 notice"), permissions=["change"])
    def draft_notice(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda a, i: services.draft_notice(actor=a, incident=i),
                    _("notice drafted; preview, approve and start it under notification "
                      "campaigns"))

    @admin.action(description=_("Close"), permissions=["close"])
    def close(self, request, queryset):
        run_per_row(self, request, queryset, lambda a, i: services.close(actor=a, incident=i),
                    _("closed"))

    def has_close_permission(self, request):
        return request.user.has_perm("incidents.close_incident")


def _json(data: dict, name: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class SubmissionForm(ServiceForm):
    receipt_file = forms.FileField(label=_("Receipt document"), required=False)

    class Meta:
        model = RegulatorSubmission
        fields = ["incident", "authority", "submitted_at", "reference"]

    def perform(self, actor, data):
        upload = data.get("receipt_file")
        return services.submit_report(
            actor=actor, incident=data["incident"], authority=data["authority"],
            submitted_at=data["submitted_at"], reference=data["reference"],
            receipt=upload.read() if upload else None)


@admin.register(RegulatorSubmission)
class SubmissionAdmin(ServiceAdmin):
    form = SubmissionForm
    list_display = ["incident", "authority", "submitted_at", "reference"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)


class ProgressForm(ServiceForm):
    class Meta:
        model = ProgressUpdate
        fields = ["incident", "text_zh", "text_en"]

    def perform(self, actor, data):
        return services.send_progress(actor=actor, incident=data["incident"],
                                      text_en=data["text_en"], text_zh=data["text_zh"])


@admin.register(ProgressUpdate)
class ProgressAdmin(SubmissionAdmin):
    form = ProgressForm
    list_display = ["incident", "created_at", "campaign"]


class DrillForm(ServiceForm):
    class Meta:
        model = Drill
        fields = ["held_on", "scenario", "participants", "findings"]

    def perform(self, actor, data):
        return services.record_drill(actor=actor, **data)


@admin.register(Drill)
class DrillAdmin(SubmissionAdmin):
    form = DrillForm
    list_display = ["held_on", "scenario", "participants"]


class PlaybookForm(ServiceForm):
    class Meta:
        model = Playbook
        fields = ["severity", "steps"]

    def perform(self, actor, data):
        return services.save_playbook(actor=actor, severity=data["severity"],
                                      steps=data["steps"])


@admin.register(Playbook)
class PlaybookAdmin(ServiceAdmin):
    form = PlaybookForm
    list_display = ["severity", "updated_at", "updated_by"]


@admin.register(AffectedPerson)
class AffectedPersonAdmin(ReadOnlyAdmin):
    list_display = ["incident", "subject", "categories", "read", "changed"]
    list_filter = ["incident"]
    list_select_related = ["incident"]
