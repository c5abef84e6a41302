"""Console pages that show PI: purpose stated first, rows without consent left out, masks by
default, every page read audited as one record naming everyone shown (Z-1, V-5.1b)."""

import time
import uuid
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.roles.registry import PRIVACY_OFFICER
from piwarden.roles.selectors import has_role
from piwarden.staffreads import services
from piwarden.staffreads.forms import PurposeForm
from piwarden.staffreads.models import UnmaskRequest
from piwarden.vault import fields
from piwarden.vault.models import VaultValue

SESSION_KEY = "staffreads.purposes"


def state_purpose(session, label: str, purpose: str) -> None:
    """Remember in the session that ``purpose`` was stated for pages of model ``label``."""
    stated = dict(session.get(SESSION_KEY, {}))
    stated[label] = [purpose, int(time.time()) + 60 * services.purpose_minutes()]
    session[SESSION_KEY] = stated


def stated_purpose(session, label: str) -> str:
    purpose, until = session.get(SESSION_KEY, {}).get(label, ("", 0))
    return purpose if until > time.time() else ""


class PurposeBoundAdmin(admin.ModelAdmin):
    """Base for a ModelAdmin whose pages show people's PI.

    ``read_categories``: the catalog categories its pages show (the purpose must cover them).
    ``mask_fields``: vault fields its columns show masked (read in one query per page); their
    categories (from the vault's field registry) are added to ``read_categories``.
    ``subject_field``: the attribute holding the person's id (rows without one name nobody).
    """

    read_categories: tuple[str, ...] = ()
    mask_fields: tuple[str, ...] = ()
    subject_field = "subject_id"

    def shown_categories(self) -> tuple[str, ...]:
        """``read_categories`` plus the categories the vault registers for ``mask_fields``."""
        masked = {fields.get(name).category for name in self.mask_fields}
        return tuple(sorted(set(self.read_categories) | masked))

    @property
    def read_label(self) -> str:
        return self.model._meta.label_lower

    def action_checkbox(self, obj):
        """Django's row checkbox, written directly: rendering a widget per row through the
        template engine was a third of a 100-row page (bench/staff_access.py)."""
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" '
                           'aria-label="{}">', helpers.ACTION_CHECKBOX_NAME, obj.pk, label)

    def _url(self, view: str) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")

    def get_urls(self):
        opts = self.model._meta
        purpose = path("purpose/", self.admin_site.admin_view(self.purpose_view),
                       name=f"{opts.app_label}_{opts.model_name}_purpose")
        return [purpose, *super().get_urls()]

    def purpose_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        form = PurposeForm(request.POST or None, categories=self.shown_categories())
        target = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                               require_https=request.is_secure()):
            target = ""
        if request.method == "POST" and form.is_valid():
            purpose = form.cleaned_data["purpose"]
            try:
                services.check_read(user=request.user, purpose=purpose,
                                    categories=self.shown_categories(), label=self.read_label)
            except services.ReadRefused as refused:
                return self.refused(request, refused)
            state_purpose(request.session, self.read_label, purpose)
            return HttpResponseRedirect(target or self._url("changelist"))
        return TemplateResponse(request, "staffreads/purpose.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "next": target, "title": _("State the purpose of this read")})

    def refused(self, request, refused: services.ReadRefused) -> HttpResponse:
        return TemplateResponse(request, "staffreads/refused.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "explanation": refused.explanation, "title": _("Access refused")}, status=403)

    def _gate(self, request) -> str | HttpResponse:
        """The stated purpose, still allowed; else the purpose form or a refusal."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        purpose = stated_purpose(request.session, self.read_label)
        if not purpose:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{self._url('purpose')}?{query}")
        try:  # roles can change while the purpose is remembered: checked on every read
            services.check_read(user=request.user, purpose=purpose,
                                categories=self.shown_categories(), label=self.read_label)
        except services.ReadRefused as refused:
            return self.refused(request, refused)
        return purpose

    def changelist_view(self, request, extra_context=None):
        purpose = self._gate(request)
        if isinstance(purpose, HttpResponse):
            return purpose
        request.staffreads_purpose = purpose
        return super().changelist_view(request, extra_context={
            **(extra_context or {}), "staffreads_purpose": purpose,
            "subtitle": _("Read for: %(purpose)s (masked; each page is recorded in the audit "
                          "trail)") % {"purpose": self._purpose_name(purpose)}})

    def _purpose_name(self, key: str) -> str:
        """From the page's purposes, already read and cached by the gate (no query)."""
        return next((services.localized(p) for p in services.purposes_for(
            self.shown_categories()) if p.key == key), key)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        purpose = getattr(request, "staffreads_purpose", "")
        if purpose:
            changelist.result_list = self._screen(request, purpose, list(changelist.result_list))
        return changelist

    def _screen(self, request, purpose: str, rows: list) -> list:
        """Leave out people whose consent does not cover the purpose; audit the rest."""
        attr = self.subject_field
        ids = {getattr(row, attr) for row in rows} - {None}
        allowed = services.visible(ids, purpose, self.shown_categories()) if ids else set()
        shown = [row for row in rows if getattr(row, attr) is None or getattr(row, attr)
                 in allowed]
        hidden = len(rows) - len(shown)
        people = {getattr(row, attr) for row in shown} - {None}
        self._prefetch_masks(shown, people)
        services.record_read(user=request.user, purpose=purpose,
                             categories=self.shown_categories(), subject_ids=people,
                             label=self.read_label, hidden=hidden)
        if hidden:
            messages.info(request, ngettext(
                "%(n)d row is not shown: the person's consent does not cover this purpose.",
                "%(n)d rows are not shown: the people's consent does not cover this purpose.",
                hidden) % {"n": hidden})
        return shown

    def screened(self, request, queryset):
        """The selected rows a console action may act on: what the stated purpose (checked
        again) and each person's consent let the page show; an empty selection otherwise."""
        purpose = self._gate(request)
        if isinstance(purpose, HttpResponse):
            return queryset.none()
        attr = self.subject_field
        ids = set(queryset.values_list(attr, flat=True)) - {None}
        allowed = services.visible(ids, purpose, self.shown_categories()) if ids else set()
        return queryset.filter(**{f"{attr}__in": allowed})

    def _prefetch_masks(self, rows: list, people: set) -> None:
        if not self.mask_fields:
            return
        masks: dict[uuid.UUID, dict[str, str]] = {}
        for subject_id, field, mask in (VaultValue.objects
                                        .filter(subject_id__in=people, field__in=self.mask_fields)
                                        .values_list("subject_id", "field", "mask")):
            masks.setdefault(subject_id, {})[field] = mask
        for row in rows:
            row.staffreads_masks = masks.get(getattr(row, self.subject_field), {})

    def mask(self, obj, field: str) -> str:
        """The masked display form of a vault field of the row's person ("—" when none)."""
        masks = getattr(obj, "staffreads_masks", None)
        if masks is None:
            subject_id = getattr(obj, self.subject_field)
            rows = VaultValue.objects.filter(subject_id=subject_id, field__in=self.mask_fields)
            masks = dict(rows.values_list("field", "mask")) if subject_id else {}
            obj.staffreads_masks = masks
        return masks.get(field) or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        purpose = self._gate(request)
        if isinstance(purpose, HttpResponse):
            return purpose
        obj = self.get_object(request, unquote(object_id))
        subject_id = getattr(obj, self.subject_field, None) if obj is not None else None
        if subject_id is not None:
            try:
                services.check_person(user=request.user, subject=obj.subject, purpose=purpose,
                                      categories=self.shown_categories(), label=self.read_label)
            except services.ReadRefused as refused:
                return self.refused(request, refused)
        if obj is not None:
            services.record_read(user=request.user, purpose=purpose,
                                 categories=self.shown_categories(),
                                 subject_ids=[subject_id] if subject_id else [],
                                 label=self.read_label)
        return super().change_view(request, object_id, form_url, {
            **(extra_context or {}), "staffreads_purpose": purpose})


@admin.register(UnmaskRequest)
class UnmaskRequestAdmin(ReadOnlyAdmin):
    """Requests to see sensitive PI in full; a privacy officer approves or denies them."""

    list_display = ("created_at", "requester", "subject_id", "field", "category", "purpose",
                    "status", "approver", "expires_at")
    list_filter = ("status", "category")
    fields = ("requester", "subject_id", "field", "category", "purpose", "reason", "status",
              "needs_second_approver", "approver", "created_at", "decided_at", "expires_at")
    readonly_fields = fields
    actions = ["approve", "deny"]

    def _decide(self, request, queryset, approve: bool) -> None:
        for unmask in queryset.select_related("subject"):
            try:
                services.decide_unmask(user=request.user, unmask=unmask, approve=approve)
            except services.ReadRefused as refused:
                messages.error(request, f"#{unmask.pk}: {refused.explanation}")

    @admin.action(description=_lazy("Approve the selected requests"), permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_lazy("Deny the selected requests"), permissions=["approve"])
    def deny(self, request, queryset):
        self._decide(request, queryset, approve=False)

    # Privacy officers decide (roles registry), whatever their Django permissions say.
    def has_approve_permission(self, request):
        return has_role(request.user, PRIVACY_OFFICER)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self.has_approve_permission(request)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self.has_approve_permission(request)
