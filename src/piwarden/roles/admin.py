"""Staff console for the personnel registry, grants and the access review. The lists are
read-only; every change is a form page or an action that calls ``roles.services`` (which
checks who may do it and audits it)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from piwarden.admin_actions import run_per_row
from piwarden.audit.actors import Actor
from piwarden.errors import ServiceError
from piwarden.readonly_admin import ActionsOnlyAdmin
from piwarden.roles import review, services
from piwarden.roles.models import AccessReview, AccessReviewLine, Grant, GrantKind, StaffMember
from piwarden.roles.registry import ROLES
from piwarden.vault import files

TEMPLATE = "admin/roles/form.html"


def _role_choices():
    return [(role.key, f"{role.name_en} / {role.name_zh}") for role in ROLES.values()]


def _staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


class RecordForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, label=_("staff user"))
    signed_on = forms.DateField(label=_("confidentiality agreement signed on"), required=False)
    document = forms.FileField(label=_("signed agreement (PDF, JPEG or PNG)"), required=False)
    trained_on = forms.DateField(label=_("privacy training on"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff_users()

    def clean(self):
        data = super().clean()
        if bool(data.get("signed_on")) != bool(data.get("document")):
            raise forms.ValidationError(_("Give the signing date and the signed document "
                                          "together."))
        if not data.get("document") and not data.get("trained_on"):
            raise forms.ValidationError(_("Record an agreement, a training date, or both."))
        return data


class OffboardForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


class GrantForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, label=_("staff user"))
    key = forms.ChoiceField(label=_("role"), choices=_role_choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff_users()


class BreakGlassForm(forms.Form):
    key = forms.ChoiceField(label=_("role"), choices=_role_choices)
    reason = forms.CharField(label=_("why you need emergency access"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3}))


class _ReadOnly(ActionsOnlyAdmin):
    def _page(self, request, title, form, perform, done_url, intro=""):
        """A form page: on a valid POST, ``perform(actor, cleaned_data)``; a refusal is shown
        on the form."""
        if request.method == "POST" and form.is_valid():
            try:
                perform(Actor.staff(request.user), form.cleaned_data)
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None,
                               error.message)
            else:
                self.message_user(request, _("Done."), messages.SUCCESS)
                return redirect(done_url)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": title, "form": form, "intro": intro}
        return TemplateResponse(request, TEMPLATE, context)


def _post(request):
    return (request.POST, request.FILES) if request.method == "POST" else ()


@admin.register(StaffMember)
class StaffMemberAdmin(_ReadOnly):
    list_display = ["user", "agreement_signed_on", "trained_on", "is_cleared", "document",
                    "offboard"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = readonly_fields = ["user", "agreement_signed_on", "agreement_type",
                                "agreement_sha256", "trained_on", "updated_at"]

    @admin.display(boolean=True, description=_("may hold a PI role"))
    def is_cleared(self, obj):
        return obj.cleared

    @admin.display(description=_("signed agreement"))
    def document(self, obj):
        if not obj.agreement_sha256:
            return "—"
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:roles_agreement", args=[obj.pk]), _("open"))

    @admin.display(description=_("offboarding"))
    def offboard(self, obj):
        if not obj.user.is_active:
            return _("offboarded")
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:roles_offboard", args=[obj.pk]), _("offboard"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("record/", view(self.record_view), name="roles_record"),
                path("<int:pk>/agreement/", view(self.agreement_view), name="roles_agreement"),
                path("<int:pk>/offboard/", view(self.offboard_view), name="roles_offboard"),
                *super().get_urls()]

    def record_view(self, request):
        def perform(actor, data):
            if data.get("document"):
                services.record_agreement(actor=actor, user=data["user"],
                                          signed_on=data["signed_on"],
                                          data=data["document"].read())
            if data.get("trained_on"):
                services.record_training(actor=actor, user=data["user"],
                                         trained_on=data["trained_on"])
        return self._page(request, _("Record an agreement or training"),
                          RecordForm(*_post(request)), perform,
                          "admin:roles_staffmember_changelist")

    def agreement_view(self, request, pk: int):
        member = get_object_or_404(StaffMember, pk=pk)
        try:
            data, kind = services.open_agreement(actor=Actor.staff(request.user), member=member)
        except ServiceError as error:
            if error.status == 403:
                raise PermissionDenied from None
            self.message_user(request, error.message, messages.ERROR)
            return redirect("admin:roles_staffmember_changelist")
        return files.download(data, kind, f"confidentiality-agreement-{member.user_id}")

    def offboard_view(self, request, pk: int):
        member = get_object_or_404(StaffMember.objects.select_related("user"), pk=pk)
        return self._page(
            request, _("Offboard %(user)s") % {"user": member.user},
            OffboardForm(*_post(request)),
            lambda actor, data: services.offboard(actor=actor, user=member.user,
                                                  reason=data["reason"]),
            "admin:roles_staffmember_changelist")


class ToReview(admin.SimpleListFilter):
    title = _("break-glass review")
    parameter_name = "to_review"

    def lookups(self, request, model_admin):
        return [("yes", _("To review"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(kind=GrantKind.BREAK_GLASS, reviewed_at=None)
        return queryset


@admin.register(Grant)
class GrantAdmin(_ReadOnly):
    list_display = ["user", "key", "kind", "starts_at", "expires_at", "in_force",
                    "approved_by", "revoked_at", "reviewed_at"]
    list_filter = ["applied", "kind", ToReview, "key"]
    search_fields = ["user__username"]
    list_select_related = ["user", "approved_by"]
    fields = readonly_fields = ["user", "key", "kind", "reason", "requested_by", "approved_by",
                                "starts_at", "expires_at", "applied", "revoked_at",
                                "revoked_by", "reminded_at", "reviewed_by", "reviewed_at"]
    actions = ["renew", "revoke", "review_break_glass"]

    @admin.display(boolean=True, description=_("in force"))
    def in_force(self, obj):
        return obj.applied and obj.expires_at > timezone.now()

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("new/", view(self.grant_view), name="roles_grant_new"),
                path("break-glass/", view(self.break_glass_view), name="roles_break_glass"),
                *super().get_urls()]

    def grant_view(self, request):
        return self._page(
            request, _("Grant a role"), GrantForm(*_post(request)),
            lambda actor, data: services.grant(actor=actor, user=data["user"], key=data["key"]),
            "admin:roles_grant_changelist", _(
                "The staff member needs a recorded confidentiality agreement and training date "
                "for any role that reaches personal information. The grant lasts "
                "%(days)d days; you cannot grant a role to yourself.")
            % {"days": services.grant_days()})

    def break_glass_view(self, request):
        """Open to any active staff user (the service checks they hold no role)."""
        return self._page(
            request, _("Break-glass: emergency access"), BreakGlassForm(*_post(request)),
            lambda actor, data: services.break_glass(actor=actor, key=data["key"],
                                                     reason=data["reason"]),
            "admin:index", _(
                "For an emergency only, when no privacy officer can grant the role in time. "
                "You hold the role for %(minutes)d minutes; security staff are alerted at once "
                "and a privacy or security officer reviews what you did afterwards.")
            % {"minutes": services.break_glass_minutes()})

    @admin.action(description=_("Renew for another period"), permissions=["change"])
    def renew(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda actor, row: services.renew(actor=actor, grant=row), _("renewed"))

    @admin.action(description=_("Revoke now"), permissions=["change"])
    def revoke(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda actor, row: services.revoke(actor=actor, grant=row), _("revoked"))

    @admin.action(description=_("Mark break-glass as reviewed"), permissions=["change"])
    def review_break_glass(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda actor, row: services.review_break_glass(actor=actor, grant=row),
                    _("reviewed"))


class LineInline(admin.TabularInline):
    model = AccessReviewLine
    fields = readonly_fields = ["grant", "decision", "decided_by", "decided_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AccessReview)
class AccessReviewAdmin(_ReadOnly):
    list_display = ["quarter", "opened_at", "due_at", "closed_at"]
    fields = readonly_fields = ["quarter", "opened_at", "due_at", "closed_at"]
    inlines = [LineInline]


@admin.register(AccessReviewLine)
class AccessReviewLineAdmin(_ReadOnly):
    list_display = ["review", "grant", "decision", "decided_by", "decided_at"]
    list_filter = ["review", "decision"]
    list_select_related = ["review", "grant__user", "decided_by"]
    fields = readonly_fields = ["review", "grant", "decision", "decided_by", "decided_at"]
    actions = ["confirm", "revoke"]

    @admin.action(description=_("Confirm the access"), permissions=["change"])
    def confirm(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda actor, row: review.decide(actor=actor, line=row, confirm=True),
                    _("confirmed"))

    @admin.action(description=_("Revoke the access"), permissions=["change"])
    def revoke(self, request, queryset):
        run_per_row(self, request, queryset,
                    lambda actor, row: review.decide(actor=actor, line=row, confirm=False),
                    _("revoked"))
