"""How API requests authenticate (API key or staff session) and are authorized (scopes)."""

from ninja.security import HttpBearer

from piwarden.api_errors import ApiError
from piwarden.audit.actors import Actor
from piwarden.clients import services
from piwarden.clients.models import SCOPE_PERMISSIONS, ApiClient, Scope
from piwarden.session_auth import CsrfCheckedSessionAuth


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer pwk_…`` for the website's back-ends."""

    def authenticate(self, request, token):
        return services.authenticate(token)


class StaffSessionAuth(CsrfCheckedSessionAuth):
    """A logged-in, active staff member of the console (CSRF-checked on unsafe methods)."""

    def authenticate(self, request, key):
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff:
            return user
        return None


STAFF_OR_CLIENT = [ApiKeyAuth(), StaffSessionAuth()]


def require_scope(request, scope: Scope) -> Actor:
    """Refuse with 403 unless the caller holds the scope; return the caller as an Actor."""
    principal = request.auth
    if isinstance(principal, ApiClient):
        if scope in principal.scopes:
            return Actor.api_client(principal)
    elif principal is not None and principal.has_perm(SCOPE_PERMISSIONS[scope]):
        return Actor.staff(principal)
    raise ApiError(403, "FORBIDDEN", f"This needs the '{scope}' scope.")


def require_permission(request, *permissions: str) -> Actor:
    """A staff-session endpoint: refuse with 403 unless the staff member holds one of the
    permissions (``app.codename``); return them as an Actor."""
    if not any(request.auth.has_perm(permission) for permission in permissions):
        raise ApiError(403, "FORBIDDEN", f"This needs the '{permissions[0]}' permission.")
    return Actor.staff(request.auth)
