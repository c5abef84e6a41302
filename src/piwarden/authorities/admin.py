"""Staff console: provisions to authorities. The list and a read-only detail with the state,
approvals and downloads; each step (upload, review, approve, refuse, deliver, open the
document) is its own page that calls ``authorities.services`` and checks its permission.
A refusal shows on the form instead of failing the request."""

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.authorities import selectors, services
from piwarden.authorities.models import Approval, AuthorityRequest, State
from piwarden.catalog.models import DataCategory, LegalBasis, ProcessingActivity
from piwarden.errors import ServiceError
from piwarden.vault import files

PERM = "authorities.%s_authorityrequest"
CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")


def _name(entry) -> str:
    return entry.name_zh if translation.get_language() == "zh-hans" else entry.name_en


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def _category_choices(keys) -> list[tuple[str, str]]:
    found = {c.key: c for c in DataCategory.objects.filter(key__in=list(keys))}
    return [(key, _name(found[key]) if key in found else key) for key in sorted(keys)]


ENTERED = ["organ_name", "organ_country", "organ_kind", "document_reference", "legal_basis",
           "activity", "justification", "prc_approval_reference", "confidential",
           "confidentiality_reference"]


class EnterForm(forms.ModelForm):
    """Entering a request: the basis picker offers PIPL Art. 13(3) and 13(4) only."""

    legal_basis = forms.ChoiceField(label=_("legal basis"))
    activity = forms.ChoiceField(label=_("processing activity"), required=False)
    people = forms.CharField(label=_("people asked for (subject ids, one per line)"),
                             widget=forms.Textarea(attrs={"rows": 3}), required=False)
    asked_categories = forms.MultipleChoiceField(label=_("categories asked for"),
                                                 required=False)
    document_file = forms.FileField(label=_("legal document (PDF, JPEG, PNG)"), required=False)
    request = None
    result = None

    class Meta:
        model = AuthorityRequest
        fields = ENTERED

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_basis"].choices = [
            (b.key, f"{_name(b)} ({b.article})") for b in selectors.basis_choices()]
        names = {a.key: _name(a) for a in
                 ProcessingActivity.objects.filter(key__in=selectors.ACTIVITIES)}
        self.fields["activity"].choices = [("", _("From the basis"))] + [
            (key, names.get(key, key)) for key in selectors.ACTIVITIES]
        self.fields["asked_categories"].choices = _category_choices(
            DataCategory.objects.filter(key__startswith="user", retired=False)
            .values_list("key", flat=True))

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        data, actor = self.cleaned_data, Actor.staff(self.request.user)
        try:
            result = services.create_request(
                actor=actor, **{name: data[name] for name in ENTERED},
                subject_ids=_lines(data["people"]), categories=data["asked_categories"])
            upload = data.get("document_file")
            if upload and result.state == State.RECEIVED:
                result = services.upload_document(actor=actor, request=result,
                                                  data=upload.read())
            self.result = result
        except ServiceError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message)


class ReviewForm(forms.Form):
    people = forms.CharField(label=_("people provided (subject ids, one per line)"),
                             widget=forms.Textarea(attrs={"rows": 4}))
    categories = forms.MultipleChoiceField(label=_("categories provided"),
                                           widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("review notes"), widget=forms.Textarea(attrs={"rows": 3}))


class UploadForm(forms.Form):
    document = forms.FileField(label=_("legal document (PDF, JPEG, PNG)"))


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("reason for refusal"),
                             widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(forms.Form):
    pass


class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    can_delete = False
    fields = readonly_fields = ["approver", "approved_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# step: (title, permissions (any of), form)
STEPS = {
    "upload": (_("Upload the legal document"), ("change",), UploadForm),
    "review": (_("Legal review"), ("review",), ReviewForm),
    "approve": (_("Approve"), ("approve",), ConfirmForm),
    "refuse": (_("Refuse"), ("review", "approve"), RefuseForm),
    "deliver": (_("Deliver to the authority"), ("deliver",), ConfirmForm),
}
# Which steps a request in each state offers.
OFFERED = {State.RECEIVED: ("upload", "review", "refuse"), State.REVIEWED: ("approve", "refuse"),
           State.APPROVED: ("deliver", "refuse"), State.DELIVERED: (), State.REFUSED: ()}


@admin.register(AuthorityRequest)
class AuthorityRequestAdmin(admin.ModelAdmin):
    form = EnterForm
    list_display = ["__str__", "organ_kind", "organ_country", "basis", "state", "created_at"]
    list_filter = ["state", "organ_kind", "confidential"]
    search_fields = ["organ_name", "document_reference"]
    inlines = [ApprovalInline]
    shown = ["state", "refusal_reason", "steps", "organ_name", "organ_country", "organ_kind",
             "document_reference", "activity_name", "basis", "justification",
             "prc_approval_reference", "confidential", "confidentiality_reference",
             "document_info", "requested_subjects", "categories_asked", "subjects",
             "categories_provided", "review_notes", "reviewed_by", "reviewed_at",
             "entered_by", "created_at", "delivered_by", "decided_at", "downloads",
             "notice_campaign"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*ENTERED, "people", "asked_categories", "document_file"]
        return self.shown

    def get_readonly_fields(self, request, obj=None):
        return self.shown if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        if form.result is not None:
            obj.__dict__.update({k: v for k, v in form.result.__dict__.items()
                                 if not k.startswith("_")})

    def save_related(self, request, form, formsets, change):
        return None

    def has_change_permission(self, request, obj=None):
        return False  # a request changes only through its steps

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("legal basis"))
    def basis(self, obj):
        found = LegalBasis.objects.filter(key=obj.legal_basis).first()
        return f"{_name(found)} ({found.article})" if found else obj.legal_basis

    @admin.display(description=_("processing activity"))
    def activity_name(self, obj):
        found = ProcessingActivity.objects.filter(key=obj.activity).first()
        return _name(found) if found else obj.activity

    @admin.display(description=_("categories asked for"))
    def categories_asked(self, obj):
        return ", ".join(name for _key, name in _category_choices(obj.requested_categories))

    @admin.display(description=_("categories provided"))
    def categories_provided(self, obj):
        return ", ".join(name for _key, name in _category_choices(obj.categories))

    @admin.display(description=_("legal document"))
    def document_info(self, obj):
        if not obj.document_sha256:
            return _("Not uploaded")
        return format_html('<a href="{}">{}</a> · SHA-256 <code>{}</code>',
                           reverse("admin:authorities_document", args=[obj.pk]),
                           _("Open (audited)"), obj.document_sha256)

    @admin.display(description=_("next steps"))
    def steps(self, obj):
        offered = OFFERED[obj.state]
        if not offered:
            return "—"
        return format_html_join(" · ", '<a href="{}">{}</a>', (
            (reverse("admin:authorities_step", args=[obj.pk, step]), STEPS[step][0])
            for step in offered))

    @admin.display(description=_("downloads by the authority"))
    def downloads(self, obj):
        if not obj.provision_id:
            return "—"
        rows = AuditEvent.objects.filter(action="sharing.package_downloaded",
                                         object_id=str(obj.provision_id)).order_by("seq")
        listed = format_html_join("", "<li>{} · IP {}</li>", (
            (row.occurred_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
             row.detail.get("ip") or "—") for row in rows))
        return format_html("{} <ul>{}</ul>", obj.provision.downloads, listed)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/step/<str:step>/", view(self.step_view),
                     name="authorities_step"),
                path("<int:pk>/document/", view(self.document_view),
                     name="authorities_document"),
                *super().get_urls()]

    def document_view(self, request, pk: int):
        if not request.user.has_perm("authorities.open_document"):
            raise PermissionDenied
        item = get_object_or_404(AuthorityRequest, pk=pk)
        try:
            data, kind = services.open_document(actor=Actor.staff(request.user), request=item)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect("admin:authorities_authorityrequest_change", pk)
        return files.download(data, kind, f"authority-request-{pk}")

    def step_view(self, request, pk: int, step: str):
        if step not in STEPS:
            raise PermissionDenied
        title, needs, _form = STEPS[step]
        if not any(request.user.has_perm(PERM % need) for need in needs):
            raise PermissionDenied
        item = get_object_or_404(AuthorityRequest, pk=pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "item": item, "title": title}
        form = self._form(step, item, request)
        if request.method == "POST" and form.is_valid():
            try:
                link = self._perform(step, item, request, form.cleaned_data)
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None,
                               error.message)
            else:
                if link:
                    item.refresh_from_db()
                    return TemplateResponse(request, "admin/authorities/step.html",
                                            {**context, "item": item, "link": link})
                self.message_user(request, _("Done."), messages.SUCCESS)
                return redirect("admin:authorities_authorityrequest_change", pk)
        return TemplateResponse(request, "admin/authorities/step.html",
                                {**context, "form": form})

    def _form(self, step, item, request):
        form_class = STEPS[step][2]
        data = (request.POST, request.FILES) if request.method == "POST" else ()
        if step != "review":
            return form_class(*data)
        form = form_class(*data, initial={"people": "\n".join(item.requested_subjects),
                                          "categories": item.requested_categories})
        try:
            allowed = selectors.flow_for(item).categories
        except ServiceError:
            allowed = []
        form.fields["categories"].choices = _category_choices(
            set(allowed) | set(item.requested_categories))
        return form

    def _perform(self, step, item, request, data) -> str:
        """Run the step's service; returns the download link once for a delivery."""
        actor = Actor.staff(request.user)
        if step == "deliver":
            _delivered, token = services.deliver(actor=actor, request=item)
            return request.build_absolute_uri(reverse("api:sharing_package", args=[token]))
        with transaction.atomic():
            if step == "upload":
                services.upload_document(actor=actor, request=item,
                                         data=data["document"].read())
            elif step == "review":
                services.review(actor=actor, request=item, subject_ids=_lines(data["people"]),
                                categories=data["categories"], notes=data["notes"])
            elif step == "approve":
                services.approve(actor=actor, request=item)
            elif step == "refuse":
                services.refuse(actor=actor, request=item, reason=data["reason"])
        return ""
