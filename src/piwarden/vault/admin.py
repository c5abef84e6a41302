"""Vault values in the staff console: masked only; a full value needs a permission and a reason.

Sensitive categories are unmasked just in time: an approved ``staffreads.UnmaskRequest``
(second approver where the catalog says so) opens a short window for that person and field.

Revealing goes through ``services.reveal`` like every other read of plaintext, so the purpose
and consent checks apply and the staff member, purpose and reason land in the audit trail.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_variables

from piwarden.audit.actors import Actor
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.roles import second_factor
from piwarden.staffreads import services as unmasking
from piwarden.vault import fields
from piwarden.vault import services as vault
from piwarden.vault.forms import RevealForm
from piwarden.vault.models import DataKey, VaultValue

REVEAL_PERMISSION = "vault.reveal_vaultvalue"
CREDENTIALS = "user.credentials"
OVERSEAS = {"OVERSEAS_STAFF_ACCESS": "you are connected from a network outside mainland China, "
            "and no cross-border transfer record covers staff access from it (PIPL Art. 38)"}


@admin.register(VaultValue)
class VaultValueAdmin(ReadOnlyAdmin):
    list_display = ("subject", "field", "category", "mask", "updated_at", "reveal_link")
    list_filter = ("field",)
    search_fields = ("=subject__id",)
    list_select_related = ("subject",)
    fields = ("subject", "field", "category", "mask", "key_version", "created_at", "updated_at",
              "reveal_link")
    readonly_fields = fields

    @admin.display(description="Category")
    def category(self, obj):
        try:
            return fields.get(obj.field).category
        except vault.UnknownField:
            return "(unregistered field)"

    @admin.display(description="Full value")
    def reveal_link(self, obj):
        url = reverse("admin:vault_vaultvalue_reveal", args=[obj.pk])
        return format_html('<a href="{}">reveal…</a>', url)

    def get_urls(self):
        # admin_view() adds the staff login check, CSRF protection and never_cache.
        reveal = path("<int:object_id>/reveal/", self.admin_site.admin_view(self.reveal_view),
                      name="vault_vaultvalue_reveal")
        return [reveal, *super().get_urls()]

    @sensitive_variables("value")
    def reveal_view(self, request, object_id):
        if not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        if second_factor.missing(request.user):  # a full value needs the authenticator
            return HttpResponseRedirect(reverse("staff_second_factor"))
        row = get_object_or_404(VaultValue.objects.select_related("subject"), pk=object_id)
        try:
            vault_field = fields.get(row.field)
        except vault.UnknownField:
            raise Http404("unregistered vault field") from None
        category = vault_field.category
        if category.startswith(CREDENTIALS) or vault_field.secret:  # never shown, not to staff
            raise PermissionDenied
        sensitive = unmasking.sensitive_category(category)
        if sensitive is not None:
            return self.unmask_view(request, row, sensitive)
        form = RevealForm(request.POST or None, category=category,
                          held=unmasking.held_purposes(request.user))
        value = None
        posted = request.POST.get("purpose", "")
        if request.method == "POST" and posted:
            try:  # a purpose none of the staff member's roles holds: refused and audited
                unmasking.check_read(user=request.user, purpose=posted, categories=(category,),
                                     label=self.model._meta.label_lower)
            except unmasking.ReadRefused as refused:
                form.add_error(None, refused.explanation)
        if request.method == "POST" and form.is_valid():
            try:
                value = vault.reveal(actor=Actor.staff(request.user), subject=row.subject,
                                     field=row.field, purpose=form.cleaned_data["purpose"],
                                     reason=form.cleaned_data["reason"])
            except vault.RevealRefused as refused:
                form.add_error(None, f"Refused: {OVERSEAS.get(refused.reason, refused.reason)}. "
                                     "The refusal is recorded.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Reveal {row.field} of subject {row.subject_id}",
            "row": row,
            "category": category,
            "form": form,
            "value": value,
        }
        return TemplateResponse(request, "admin/vault/vaultvalue/reveal.html", context)


    @sensitive_variables("value")
    def unmask_view(self, request, row, category):
        """Sensitive PI (D-1.3): just-in-time, on an approved request, within its window."""
        user, error, value = request.user, "", None
        form = RevealForm(request.POST if request.POST.get("step") == "request" else None,
                          category=category.key)
        try:
            if request.method == "POST" and request.POST.get("step") == "request" \
                    and form.is_valid():
                unmasking.request_unmask(user=user, subject=row.subject, field=row.field,
                                         category=category, reason=form.cleaned_data["reason"],
                                         purpose=form.cleaned_data["purpose"])
            active = unmasking.active_unmask(user=user, subject=row.subject, field=row.field)
            if request.method == "POST" and request.POST.get("step") == "reveal" and active:
                value = vault.reveal(actor=Actor.staff(user), subject=row.subject,
                                     field=row.field, purpose=active.purpose,
                                     reason=f"unmask request #{active.pk}: {active.reason}")
        except unmasking.ReadRefused as refused:
            error, active = refused.explanation, None
        except vault.RevealRefused as refused:
            error = f"Refused: {OVERSEAS.get(refused.reason, refused.reason)}. " \
                    "The refusal is recorded."
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": f"Unmask {row.field} of subject {row.subject_id}", "row": row,
            "form": form, "value": value, "error": error, "active": active,
            "pending": unmasking.pending_unmask(user=user, subject=row.subject, field=row.field),
            "needs_second": category.second_approver,
        }
        return TemplateResponse(request, "staffreads/unmask.html", context)


@admin.register(DataKey)
class DataKeyAdmin(ReadOnlyAdmin):
    """Which master key wraps each subject's data key (never the key itself)."""

    list_display = ("subject", "version", "master_version", "created_at", "rewrapped_at",
                    "shredded_at")
    list_filter = ("master_version",)
    search_fields = ("=subject__id",)
    fields = ("subject", "version", "master_version", "created_at", "rewrapped_at",
              "shredded_at")
    readonly_fields = fields
