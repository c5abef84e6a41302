"""Session authentication for the API whose CSRF check comes after the session is known.

django-ninja's ``SessionAuth`` checks CSRF before it looks at the session, for every unsafe
request. With ``auth=[ApiKeyAuth(), StaffSessionAuth()]`` a POST with a wrong or missing API key
and no session at all fell through to the session auth and was answered 403 "CSRF check
Failed" instead of 401. Here the CSRF check runs only when the session does authenticate
someone (that is the request CSRF protects), so a caller without a session gets the 401.
"""

from ninja.security import SessionAuth
from ninja.utils import check_csrf

from piwarden.api_errors import ApiError


class CsrfCheckedSessionAuth(SessionAuth):
    def __call__(self, request):
        principal = self.authenticate(request, request.COOKIES.get(self.param_name))
        if principal is None:
            return None
        if (self.csrf and not getattr(request, "_ninja_csrf_exempt", False)
                and check_csrf(request) is not None):
            raise ApiError(403, "CSRF_FAILED",
                           "A signed-in request needs the CSRF token (X-CSRFToken header).")
        return principal
