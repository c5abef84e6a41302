"""The console pages of the staff second factor: enrolment, the redirect that makes it
required, and the administrator's reset (``second_factor`` holds the rules)."""

import segno
from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from piwarden.accounts.models import StaffSecondFactor
from piwarden.audit.actors import Actor
from piwarden.roles import second_factor
from piwarden.roles.login import MUST_ENROL
from piwarden.roles.selectors import has_role


@sensitive_post_parameters("code")
@never_cache
def enrol(request):
    """Show a new key (once) and confirm it with a code from the app."""
    user = request.user
    context = {**admin.site.each_context(request), "required": second_factor.required_for(user),
               "enrolled": second_factor.enrolled(user), "secret": "", "uri": ""}
    if context["enrolled"]:
        request.session.pop(MUST_ENROL, None)
    elif request.method == "POST":
        if second_factor.confirm_enrolment(user=user, code=request.POST.get("code", "")):
            request.session.pop(MUST_ENROL, None)
            return HttpResponseRedirect(reverse("admin:index"))
        context["error"] = _("This code is not right. Check the app's clock, or reload the "
                             "page for a new key.")
    else:
        context["secret"] = second_factor.start_enrolment(user=user)
        context["uri"] = second_factor.uri(context["secret"], user)
        # An SVG the app scans; segno writes it from the URI alone (no user input in it).
        context["qr"] = mark_safe(segno.make(context["uri"], error="m").svg_inline(  # noqa: S308
            scale=4, title=_("QR code of the key")))
    return render(request, "admin/roles/second_factor.html", context)


enrol_view = admin.site.admin_view(enrol)


class EnrolmentRequiredMiddleware:
    """A staff member who must enrol (marked at login) sees only the enrolment page, logout
    and the login page until it is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Without a session cookie there is nothing to look at (and reading the session
        # would add ``Vary: Cookie`` to every anonymous answer).
        session = getattr(request, "session", None)
        if (settings.SESSION_COOKIE_NAME in request.COOKIES and session is not None
                and session.get(MUST_ENROL) and request.user.is_authenticated):
            admin_root = reverse("admin:index")
            allowed = (reverse("staff_second_factor"), reverse("admin:logout"),
                       reverse("admin:login"), reverse("admin:jsi18n"))
            if request.path.startswith(admin_root) and request.path not in allowed:
                return HttpResponseRedirect(reverse("staff_second_factor"))
        return self.get_response(request)


def _may_reset(user) -> bool:
    return bool(user.is_active and (user.is_superuser or has_role(user, "administrator")))


@admin.register(StaffSecondFactor)
class StaffSecondFactorAdmin(admin.ModelAdmin):
    """Recovery for a lost authenticator: deleting the row is the audited reset."""

    list_display = ("user", "created_at", "confirmed_at")
    fields = ("user", "created_at", "confirmed_at")
    readonly_fields = fields
    actions = ["delete_selected"]

    def has_module_permission(self, request):
        return _may_reset(request.user)

    def has_view_permission(self, request, obj=None):
        return _may_reset(request.user)

    def has_delete_permission(self, request, obj=None):
        return _may_reset(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        second_factor.reset(actor=Actor.staff(request.user), user=obj.user)

    def delete_queryset(self, request, queryset):
        for row in queryset.select_related("user"):
            second_factor.reset(actor=Actor.staff(request.user), user=row.user)
