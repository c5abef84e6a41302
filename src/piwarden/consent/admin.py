"""The consent ledger in the staff console.

Events are read-only, except that staff record a choice made on a paper form (with its scan);
operators record §4.4 exceptions here. Both go through the services, so both are audited.
The scan is stored sealed; it opens only through the audited download, with
``consent.view_evidence``. Who consented to what is PI: every list, record and scan is read
for a stated purpose and audited (``staffreads.PurposeBoundAdmin``).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.catalog import labels
from piwarden.catalog.models import Purpose
from piwarden.consent import services
from piwarden.consent.models import (
    BasisException,
    Channel,
    Choice,
    ConsentEvent,
    ConsentState,
    ScheduledErasure,
    Scope,
)
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.staffreads.admin import PurposeBoundAdmin
from piwarden.subjects.models import Subject
from piwarden.vault import files
from piwarden.vault import services as vault

CONSENT = ("user.consent",)
# Choices in staff wording, translated (the model's labels are English only).
CHOICES = {Choice.GRANT: _("Granted"), Choice.REFUSE: _("Refused"),
           Choice.WITHDRAW: _("Withdrawn")}


class WordsMixin:
    """Columns that show a code as words, with the key beside it where staff need the key."""

    @admin.display(description=_("Purpose"), ordering="purpose")
    def purpose_words(self, obj):
        return format_html('{} <code>{}</code>', labels.purpose(obj.purpose), obj.purpose)

    @admin.display(description=_("Scope"), ordering="scope")
    def scope_words(self, obj):
        return format_html('<span title="{}">{}</span>', obj.scope, labels.scope(obj.scope))

    @admin.display(description=_("Choice"), ordering="choice")
    def choice_word(self, obj):
        return CHOICES.get(obj.choice, obj.choice)

    @admin.display(description=_("Person"), ordering="subject_id")
    def subject_short(self, obj):
        return format_html('<code title="{}">{}</code>', obj.subject_id, str(obj.subject_id)[:8])

    @admin.display(description=_("When (China time)"), ordering="occurred_at")
    def when(self, obj):
        return labels.china_time(obj.occurred_at)

    @admin.display(description=_("Changed (China time)"), ordering="changed_at")
    def changed(self, obj):
        return labels.china_time(obj.changed_at)

    @admin.display(description=_("Due (China time)"), ordering="due_at")
    def due(self, obj):
        return labels.china_time(obj.due_at)

    @admin.display(description=_("Done (China time)"), ordering="done_at")
    def done(self, obj):
        return labels.china_time(obj.done_at) or "—"

    @admin.display(description=_("Legal basis"), ordering="legal_basis")
    def basis_words(self, obj):
        return format_html('{} <code>{}</code>', labels.basis(obj.legal_basis), obj.legal_basis)


class OfflineConsentForm(forms.ModelForm):
    """A choice the person made on paper: the scan is required for a grant."""

    subject_id = forms.UUIDField(label=_("Data subject id"))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=())
    scope = forms.ChoiceField(label=_("Scope"), choices=())
    choice = forms.ChoiceField(label=_("Choice"), choices=list(CHOICES.items()))
    notice_text = forms.CharField(label=_("Notice shown"), widget=forms.Textarea,
                                  help_text=_("The text printed on the form."))

    class Meta:
        model = ConsentEvent
        fields = ("subject_id", "purpose", "scope", "choice", "notice_text", "evidence")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [
            (p.key, f"{labels.purpose(p.key)} ({p.key})")
            for p in Purpose.objects.filter(retired=False) if services.applicable_scopes(p.key)]
        self.fields["scope"].choices = [(value, f"{labels.scope(value)} ({value})")
                                        for value in Scope.values]

    def clean_subject_id(self):
        return _subject(self.cleaned_data["subject_id"])

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.check_choice(
                subject=data["subject_id"], purpose=data["purpose"],
                choice=Choice(data["choice"]), scope=data["scope"],
                notice_text=data["notice_text"], channel=Channel.OFFLINE,
                evidence=data.get("evidence"))
        except services.ConsentError as exc:
            raise ValidationError(str(exc), code=exc.code) from exc
        return data


def _subject(subject_id) -> Subject:
    subject = Subject.objects.filter(pk=subject_id).first()
    if subject is None:
        raise ValidationError(_("No data subject has this id."))
    return subject


@admin.register(ConsentEvent)
class ConsentEventAdmin(WordsMixin, PurposeBoundAdmin):
    read_categories = CONSENT
    list_display = ("when", "subject_short", "purpose_words", "scope_words", "choice_word",
                    "bundled", "channel", "policy_version")
    list_filter = ("choice", "scope", "channel", "bundled", "purpose")
    search_fields = ("=subject__id",)
    date_hierarchy = "occurred_at"
    readonly_fields = ("subject", "purpose", "scope", "choice", "bundled", "policy_version",
                       "notice_text", "notice", "channel", "evidence_link", "occurred_at",
                       "ip_prefix", "user_agent", "actor_kind", "actor_id", "request_id",
                       "carried_from")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = OfflineConsentForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return OfflineConsentForm.Meta.fields
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    @admin.display(description=_("Notice shown"))
    def notice_text(self, obj):
        return obj.notice.text

    @admin.display(description=_("Evidence"))
    def evidence_link(self, obj):
        if not obj.evidence:
            return "—"
        if services.stored_unsealed(obj):
            return _("Stored unencrypted before evidence was sealed; an erasure deletes it.")
        if obj.evidence_id is None:
            return _("Sealed by its campaign entry: it opens from the entry.")
        url = reverse("admin:consent_consentevent_evidence", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url,
                           _("Download the paper form (audited)"))

    def get_urls(self):
        evidence = path("<int:object_id>/evidence/",
                        self.admin_site.admin_view(self.evidence_view),
                        name="consent_consentevent_evidence")
        return [evidence, *super().get_urls()]

    def evidence_view(self, request, object_id):
        """The decrypted scan; the raw file under MEDIA_ROOT is never served."""
        if not request.user.has_perm("consent.view_evidence"):
            raise PermissionDenied
        purpose = self._gate(request)
        if isinstance(purpose, HttpResponse):
            return purpose
        event = get_object_or_404(ConsentEvent.objects.select_related("subject"), pk=object_id)
        try:
            data, kind = services.read_evidence(actor=Actor.staff(request.user), event=event)
        except (files.FileGone, vault.VaultError):
            return HttpResponse("This scan was erased or cannot be opened.", status=410,
                                content_type="text/plain")
        return files.download(data, kind, f"consent-evidence-{event.pk}")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        event = services.record(
            actor=Actor.staff(request.user), subject=data["subject_id"], purpose=data["purpose"],
            choice=data["choice"], scope=data["scope"], notice_text=data["notice_text"],
            channel=Channel.OFFLINE, evidence=data.get("evidence"),
        )
        obj.pk = event.pk

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentState)
class ConsentStateAdmin(WordsMixin, PurposeBoundAdmin, ReadOnlyAdmin):
    read_categories = CONSENT
    list_display = ("subject_short", "purpose_words", "scope_words", "choice_word", "changed",
                    "policy_version")
    list_filter = ("choice", "scope", "purpose")
    search_fields = ("=subject__id",)


@admin.register(ScheduledErasure)
class ScheduledErasureAdmin(WordsMixin, PurposeBoundAdmin, ReadOnlyAdmin):
    read_categories = CONSENT
    list_display = ("subject_short", "purpose_words", "due", "status", "done")
    list_filter = ("status", "purpose")
    search_fields = ("=subject__id",)


class BasisExceptionForm(forms.ModelForm):
    subject_id = forms.UUIDField(label=_("Data subject id"))

    class Meta:
        model = BasisException
        fields = ("subject_id", "purpose", "legal_basis", "reason", "expires_at")

    def clean_subject_id(self):
        return _subject(self.cleaned_data["subject_id"])

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.check_exception(purpose=data["purpose"], legal_basis=data["legal_basis"],
                                     reason=data["reason"], expires_at=data["expires_at"])
        except services.ConsentError as exc:
            raise ValidationError(str(exc), code=exc.code) from exc
        return data


@admin.register(BasisException)
class BasisExceptionAdmin(WordsMixin, PurposeBoundAdmin):
    """§4.4: the operator records, with a reason and an end date, that an exception applies."""

    read_categories = CONSENT

    list_display = ("subject_short", "purpose_words", "basis_words", "recorded_by", "expires_at",
                    "revoked_at")
    list_filter = ("legal_basis", "purpose")
    search_fields = ("=subject__id",)
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = BasisExceptionForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("subject", "purpose", "legal_basis", "reason", "recorded_by", "recorded_at",
                "expires_at", "revoked_at")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        exception = services.record_exception(
            actor=Actor.staff(request.user), subject=data["subject_id"], purpose=data["purpose"],
            legal_basis=data["legal_basis"], reason=data["reason"], expires_at=data["expires_at"])
        obj.pk = exception.pk

    @admin.action(description=_("Revoke the selected exceptions"), permissions=["change"])
    def revoke(self, request, queryset):
        for exception in queryset:
            services.revoke_exception(actor=Actor.staff(request.user), exception=exception)

    def has_delete_permission(self, request, obj=None):
        return False
