"""Starting a signed-in session: the same steps for the pages and the API."""

from django.contrib import auth as django_auth

from piwarden.accounts import services, stepup
from piwarden.accounts.models import Account
from piwarden.consent import services as consent

_BACKEND = "django.contrib.auth.backends.ModelBackend"


def start(request, account: Account) -> None:
    """Log in, remember the session (for "log out everywhere"), count it as a fresh identity
    check, and carry this browser's cookie choices over to the account."""
    django_auth.login(request, account.user, backend=_BACKEND)
    services.remember_session(account=account, session_key=request.session.session_key)
    stepup.mark_fresh(request)
    consent.link_browser(request=request, subject=account.subject)
