"""The staff console's login (``/admin/login/``): Django's admin login form behind a
lock-out, with every failure audited.

Five failures for one username, or twenty from one address, within 15 minutes lock further
attempts out for the rest of the window; a locked-out attempt is refused before any password
hashing (a flood of them costs no Argon2 run each) and is not audited one by one: the failure
that starts a lock-out raises an alert instead. The answer is the same as for a wrong
password, so it tells nobody whether the username exists. The limits are counted in the
database, where every process sees them (``web.ratelimit``).
"""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction

from piwarden.alerts.services import raise_alert
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.web import ratelimit

WINDOW = 15 * 60
LIMITS = {"staff_login_user": 5, "staff_login_ip": 20}


class StaffLoginForm(AdminAuthenticationForm):
    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        ip = self.request.META.get("REMOTE_ADDR", "") if self.request is not None else ""
        keys = {"staff_login_user": username, "staff_login_ip": ip}
        if any(ratelimit.hits(bucket, key, window=WINDOW) >= LIMITS[bucket]
               for bucket, key in keys.items()):
            raise self.get_invalid_login_error()  # before any hashing
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.cleaned_data.get("password"):
                with transaction.atomic():
                    _failed(keys)
            raise
        with transaction.atomic():
            ratelimit.clear("staff_login_user", username)
            audit.record(actor=Actor.staff(self.get_user()), action="staff.login",
                         purpose="security", detail={"ip": _prefix(ip)})
        return cleaned


def _failed(keys: dict) -> None:
    """Count, audit, and alert when this failure starts a lock-out."""
    locking = []
    for bucket, key in keys.items():
        ratelimit.hit(bucket, key)
        if ratelimit.hits(bucket, key, window=WINDOW) == LIMITS[bucket]:
            locking.append(bucket)
    audit.record(actor=Actor.system("admin.login"), action="staff.login_failed",
                 outcome=Outcome.DENIED, purpose="security",
                 detail={"ip": _prefix(keys["staff_login_ip"]), "locks": locking})
    if locking:
        raise_alert(kind="staff.login_locked", severity="high", source="admin.login",
                    summary="Staff console login locked out after repeated failures",
                    detail={"ip": _prefix(keys["staff_login_ip"]), "by": locking})


def _prefix(ip: str) -> str:
    """The network, not the host: enough to see where attempts come from."""
    if ":" in ip:
        return ":".join(ip.split(":")[:4]) + "::/64"
    parts = ip.split(".")
    return ".".join(parts[:3]) + ".0/24" if len(parts) == 4 else ""
