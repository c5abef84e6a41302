"""Staff console: recipients, flows, contracts, assessments and the disclosure register.

Every change goes through ``sharing.services`` (audited); agreements and the register are
evidence, so nothing here edits or deletes them. A PIPIA is decided by a privacy officer only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import models

from piwarden.audit.actors import Actor
from piwarden.catalog.models import Recipient
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.roles.registry import PRIVACY_OFFICER
from piwarden.roles.selectors import has_role
from piwarden.sharing import services
from piwarden.sharing.admin_deletions import DeletionRequestAdmin
from piwarden.sharing.models import (
    Assessment,
    AssessmentStatus,
    Attestation,
    Contract,
    Counterparty,
    DeletionRequest,
    Disclosure,
    Flow,
    Provision,
    SubProcessor,
)

# Endpoints are HTTPS: a scheme-less URL typed in the console means https.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class ReasonActionForm(ActionForm):
    reason = forms.CharField(required=False, label="Reason (for suspend/terminate)")


def _run(modeladmin, request, queryset, call, done: str) -> None:
    """Run a service per selected row; a refusal is shown, not raised."""
    ok = 0
    for obj in queryset:
        try:
            call(obj)
            ok += 1
        except services.SharingError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", messages.SUCCESS)


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    can_delete = False
    fields = ["kind", "reference", "starts_on", "ends_on", "terminated_on", "signed_on"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Counterparty)
class CounterpartyAdmin(admin.ModelAdmin):
    list_display = ["recipient", "legal_name", "role", "country", "status", "status_changed_at"]
    list_filter = ["status"]
    search_fields = ["recipient"]
    readonly_fields = ["recipient", "legal_name", "role", "country", "status", "status_reason",
                       "status_changed_at", "problems", "created_at"]
    fields = [*readonly_fields, "deletion_endpoint"]
    inlines = [ContractInline]
    formfield_overrides = HTTPS_URLS
    action_form = ReasonActionForm
    actions = ["activate", "suspend", "terminate"]

    def _recipient(self, obj) -> Recipient | None:
        return Recipient.objects.filter(key=obj.recipient).first()

    @admin.display(description="Legal name")
    def legal_name(self, obj):
        recipient = self._recipient(obj)
        return recipient.name if recipient else ""

    @admin.display(description="Role")
    def role(self, obj):
        recipient = self._recipient(obj)
        return recipient.get_role_display() if recipient else ""

    @admin.display(description="Country")
    def country(self, obj):
        recipient = self._recipient(obj)
        return recipient.country if recipient else ""

    @admin.display(description="What stops activation")
    def problems(self, obj):
        return "; ".join(services.activation_problems(obj)) or "nothing"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.set_deletion_endpoint(actor=Actor.staff(request.user), counterparty=obj,
                                       endpoint=obj.deletion_endpoint)

    @admin.action(description="Activate (checks agreements)", permissions=["change"])
    def activate(self, request, queryset):
        actor = Actor.staff(request.user)
        _run(self, request, queryset, lambda obj: services.activate_counterparty(
            actor=actor, counterparty=obj), "activated")

    def _status(self, request, queryset, status):
        actor, reason = Actor.staff(request.user), request.POST.get("reason", "")
        _run(self, request, queryset, lambda obj: services.change_counterparty_status(
            actor=actor, counterparty=obj, status=status, reason=reason), status)

    @admin.action(description="Suspend (give a reason)", permissions=["change"])
    def suspend(self, request, queryset):
        self._status(request, queryset, "suspended")

    @admin.action(description="Terminate (give a reason)", permissions=["change"])
    def terminate(self, request, queryset):
        self._status(request, queryset, "terminated")


class ContractForm(forms.ModelForm):
    categories = forms.CharField(required=False, help_text="Catalog category keys, one per "
                                 "line.", widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Contract
        fields = ["counterparty", "kind", "reference", "signed_on", "starts_on", "ends_on",
                  "purpose", "method", "categories", "protection_measures",
                  "return_or_deletion", "subprocessing_allowed"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    form = ContractForm
    list_display = ["reference", "counterparty", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = services.add_contract(
            actor=Actor.staff(request.user), counterparty=data["counterparty"],
            kind=data["kind"], reference=data["reference"], signed_on=data["signed_on"],
            starts_on=data["starts_on"], ends_on=data["ends_on"], purpose=data["purpose"],
            method=data["method"], categories=data["categories"].split(),
            protection_measures=data["protection_measures"],
            return_or_deletion=data["return_or_deletion"],
            subprocessing_allowed=data["subprocessing_allowed"])
        obj.pk = created.pk


class FlowForm(forms.ModelForm):
    categories = forms.CharField(help_text="The allowlist: catalog category keys, one per "
                                 "line. It can only narrow what the catalog allows.",
                                 widget=forms.Textarea(attrs={"rows": 4}))

    endpoint = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Flow
        fields = ["categories", "legal_basis", "method", "endpoint"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["categories"] = "\n".join(self.instance.categories)


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    form = FlowForm
    list_display = ["activity", "recipient", "status", "legal_basis", "method", "cross_border"]
    list_filter = ["status", "cross_border", "method"]
    search_fields = ["activity", "recipient"]
    readonly_fields = ["activity", "recipient", "status", "status_reason", "cross_border",
                       "problems", "activated_at", "activated_by"]
    action_form = ReasonActionForm
    actions = ["activate", "suspend"]

    @admin.display(description="What stops activation")
    def problems(self, obj):
        return "; ".join(services.flow_problems(obj)) or "nothing"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            services.configure_flow(actor=Actor.staff(request.user), flow=obj,
                                    categories=data["categories"].split(),
                                    legal_basis=data["legal_basis"], method=data["method"],
                                    endpoint=data["endpoint"])
        except services.SharingError as error:
            self.message_user(request, error.message, messages.ERROR)

    @admin.action(description="Activate (checks recipient, basis, PIPIA)",
                  permissions=["change"])
    def activate(self, request, queryset):
        actor = Actor.staff(request.user)
        _run(self, request, queryset,
             lambda obj: services.activate_flow(actor=actor, flow=obj), "activated")

    @admin.action(description="Suspend (give a reason)", permissions=["change"])
    def suspend(self, request, queryset):
        actor, reason = Actor.staff(request.user), request.POST.get("reason", "")
        _run(self, request, queryset, lambda obj: services.suspend_flow(
            actor=actor, flow=obj, reason=reason), "suspended")


class AssessmentForm(forms.ModelForm):
    decision = forms.ChoiceField(choices=[("", "—"), ("approve", "Approve"),
                                          ("reject", "Reject")], required=False)

    class Meta:
        model = Assessment
        fields = ["risk", "findings", "measures"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    form = AssessmentForm
    list_display = ["title", "status", "risk", "opened_at", "decided_by"]
    list_filter = ["status", "risk", "standing"]
    readonly_fields = ["title", "triggers", "standing", "status", "flow_list", "opened_at",
                       "decided_at", "decided_by"]

    @admin.display(description="Flows")
    def flow_list(self, obj):
        return ", ".join(str(flow) for flow in obj.flows.all())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == AssessmentStatus.OPEN)

    def has_delete_permission(self, request, obj=None):
        return False  # kept at least three years (PIPL Art. 56)

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            self.message_user(request, "Choose approve or reject to decide.", messages.WARNING)
            return
        if not has_role(request.user, PRIVACY_OFFICER):
            self.message_user(request, "Only a privacy officer decides an impact assessment.",
                              messages.ERROR)
            return
        try:
            services.decide_assessment(
                actor=Actor.staff(request.user), assessment=obj,
                approve=decision == "approve", risk=obj.risk, findings=obj.findings,
                measures=obj.measures)
        except services.SharingError as error:
            self.message_user(request, error.message, messages.ERROR)


@admin.register(Attestation)
class AttestationAdmin(admin.ModelAdmin):
    list_display = ["counterparty", "reference", "attested_on", "valid_until"]
    fields = ["counterparty", "reference", "attested_on"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.record_attestation(
            actor=Actor.staff(request.user), counterparty=obj.counterparty,
            reference=obj.reference, attested_on=obj.attested_on)
        obj.pk = created.pk


@admin.register(SubProcessor)
class SubProcessorAdmin(admin.ModelAdmin):
    list_display = ["name", "counterparty", "country", "service", "approved_on"]
    fields = ["counterparty", "name", "country", "service"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            created = services.add_subprocessor(
                actor=Actor.staff(request.user), counterparty=obj.counterparty,
                name=obj.name, country=obj.country, service=obj.service)
        except services.SharingError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = created.pk


@admin.register(Provision)
class ProvisionAdmin(ReadOnlyAdmin):
    """The disclosure register, per batch."""

    list_display = ["created_at", "flow", "considered", "provided", "status", "actor"]
    list_filter = ["status", "flow__recipient"]
    readonly_fields = ["id", "flow", "actor", "categories", "stripped", "considered",
                       "provided", "dropped", "subjects_digest", "status", "expires_at",
                       "downloads", "delivered_at", "created_at"]
    exclude = ["package", "package_key", "package_key_version", "package_sha256",
               "token_hash"]


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    """The disclosure register, per person and recipient (no PI values: ids and keys)."""

    list_display = ["provided_at", "recipient", "subject", "purpose", "legal_basis",
                    "confidential"]
    list_filter = ["recipient", "confidential"]
    search_fields = ["subject__id", "reference"]
    list_select_related = ["subject"]


admin.site.register(DeletionRequest, DeletionRequestAdmin)
