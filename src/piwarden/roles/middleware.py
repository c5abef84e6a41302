"""Two checks on every request of a logged-in staff user (after AuthenticationMiddleware).

``GrantExpiryMiddleware``: a grant past its expiry ends at once, before the view runs, so the
request is refused as the role's permissions are gone (one indexed query per staff request;
the periodic job ends the grants of staff who make no request).

``ConsoleIdleMiddleware``: a staff session (the console, and the API it signs in to) idle for
longer than ``PIWARDEN_CONSOLE_IDLE_MINUTES`` is logged out. The last activity is kept in the
session (stored in the database), written at most once a minute. People's sessions are
untouched.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor

SEEN = "piwarden.console_seen"


def _staff(request):
    """The staff user of the request; a request without a session cookie is never looked at
    (reading ``request.user`` touches the session, which adds ``Vary: Cookie``)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated and user.is_staff else None


class GrantExpiryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = _staff(request)
        if user is not None:
            from piwarden.roles.models import Grant

            if Grant.objects.filter(user_id=user.pk, applied=True,
                                    expires_at__lte=timezone.now()).exists():
                from piwarden.roles import services

                services.expire_due(actor=Actor.system("roles.expiry"), user=user)
                for cached in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
                    user.__dict__.pop(cached, None)
        return self.get_response(request)


class ConsoleIdleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = _staff(request)
        if user is not None:  # the console and the staff-session API alike
            now = int(time.time())
            seen = request.session.get(SEEN)
            limit = int(getattr(settings, "PIWARDEN_CONSOLE_IDLE_MINUTES", 30)) * 60
            if seen is not None and now - seen > limit:
                with transaction.atomic():
                    audit.record(actor=Actor.staff(user), action="staff.idle_logout",
                                 purpose="security", detail={"idle_minutes": limit // 60})
                logout(request)
            elif seen is None or now - seen >= 60:
                request.session[SEEN] = now
        return self.get_response(request)
