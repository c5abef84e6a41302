"""The staff console's login (``/admin/login/``): Django's admin login form behind a
lock-out, with a second factor, and every failure audited.

Five failures for one username, or twenty from one address, within 15 minutes lock further
attempts out for the rest of the window. Each attempt is counted before it is evaluated
(``ratelimit.reserve``), so concurrent attempts cannot all pass a check made before any of
them was counted; a locked-out attempt is refused before any password hashing and is not
audited one by one: the failure that starts a lock-out raises an alert instead. The answer is
the same as for a wrong password, so it tells nobody whether the username exists. A success
uncounts its attempt and clears the username's failures.

After the password, a staff member with an authenticator must give its code (a wrong code
counts as a failure, ``staff.totp_failed``); one who needs a second factor but has none
signs in and is sent to enrol before any other console page (``second_factor_views``).
"""

import ipaddress

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from piwarden.alerts.services import raise_alert
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.roles import second_factor
from piwarden.web import ratelimit

WINDOW = 15 * 60
LIMITS = {"staff_login_user": 5, "staff_login_ip": 20}
MUST_ENROL = "piwarden.staff_must_enrol"


class StaffLoginForm(AdminAuthenticationForm):
    otp = forms.CharField(
        label=_("Authentication code"), required=False, max_length=12, strip=True,
        help_text=_("The 6-digit code from your authenticator app, if you have set one up."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_required": _("Enter the 6-digit code from your authenticator app."),
        "otp_invalid": _("This authentication code is not right, or was already used."),
    }

    @sensitive_variables("code")
    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        ip = self.request.META.get("REMOTE_ADDR", "") if self.request is not None else ""
        keys = {"staff_login_user": username, "staff_login_ip": ip}
        taken = _take(keys)
        if taken is None:
            raise self.get_invalid_login_error()  # before any hashing
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.cleaned_data.get("password"):
                with transaction.atomic():
                    _failed(keys, "staff.login_failed", Actor.system("admin.login"))
            else:
                _release(taken)
            raise
        user = self.get_user()
        if user is None:  # a field was left empty: the form shows that error
            _release(taken)
            return cleaned
        code = self.cleaned_data.get("otp") or ""
        used_code = second_factor.enrolled(user)
        if used_code and not code:
            _release(taken)  # the password was right: not a failure yet
            raise ValidationError(self.error_messages["otp_required"], code="otp_required")
        with transaction.atomic():
            if used_code and not second_factor.check(user, code):
                _failed(keys, "staff.totp_failed", Actor.staff(user))
                failed = True
            else:
                failed = False
                ratelimit.clear("staff_login_user", username)
                _release(taken)
                audit.record(actor=Actor.staff(user), action="staff.login", purpose="security",
                             detail={"ip": _prefix(ip),
                                     "second_factor": "totp" if used_code else "none"})
        if failed:
            raise ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
        if not used_code and second_factor.required_for(user) and self.request is not None:
            self.request.staff_must_enrol = True  # kept in the session at login (below)
        return cleaned


@receiver(user_logged_in, dispatch_uid="roles.staff_must_enrol")
def _remember_enrolment_due(sender, request, user, **kwargs):
    """``login()`` may flush the session, so the mark is written after it."""
    if request is not None and getattr(request, "staff_must_enrol", False):
        request.session[MUST_ENROL] = True


def _take(keys: dict) -> dict | None:
    """Count this attempt in both buckets first; None (nothing counted) when either is full."""
    taken = {}
    for bucket, key in keys.items():
        hit_id = ratelimit.reserve(bucket, key, limit=LIMITS[bucket], window=WINDOW)
        if hit_id is None:
            _release(taken)
            return None
        taken[bucket] = hit_id
    return taken


def _release(taken: dict) -> None:
    for hit_id in taken.values():
        ratelimit.release(hit_id)


def _failed(keys: dict, action: str, actor: Actor) -> None:
    """Audit a counted failure, and alert when it is the one that starts a lock-out."""
    locking = [bucket for bucket, key in keys.items()
               if ratelimit.hits(bucket, key, window=WINDOW) == LIMITS[bucket]]
    audit.record(actor=actor, action=action, outcome=Outcome.DENIED, purpose="security",
                 detail={"ip": _prefix(keys["staff_login_ip"]), "locks": locking})
    if locking:
        raise_alert(kind="staff.login_locked", severity="high", source="admin.login",
                    summary="Staff console login locked out after repeated failures",
                    detail={"ip": _prefix(keys["staff_login_ip"]), "by": locking})


def _prefix(ip: str) -> str:
    """The network, not the host: enough to see where attempts come from (/24, IPv6 /64; an
    IPv4-mapped IPv6 address as its IPv4 network)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))
