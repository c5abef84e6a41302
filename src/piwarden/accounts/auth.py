"""How the account API knows the person: their session (CSRF-checked) or a personal token."""

import datetime

from django.utils import timezone
from ninja.security import HttpBearer

from piwarden.accounts import services
from piwarden.session_auth import CsrfCheckedSessionAuth


class AccountSessionAuth(CsrfCheckedSessionAuth):
    """A logged-in end user; staff sessions without an account are not accepted."""

    def authenticate(self, request, key):
        user = request.user
        if user.is_authenticated and user.is_active and hasattr(user, "account"):
            return user.account
        return None


class AccountTokenAuth(HttpBearer):
    """``Authorization: Bearer pwa_…``, a personal access token of one account."""

    def authenticate(self, request, token):
        found = services.token_owner(token)
        if found is None:
            return None
        if found.last_used_at is None or timezone.now() - found.last_used_at > _TOUCH:
            found.last_used_at = timezone.now()
            found.save(update_fields=["last_used_at"])
        request.account_token = found
        return found.account


_TOUCH = datetime.timedelta(minutes=1)
ACCOUNT_AUTH = [AccountTokenAuth(), AccountSessionAuth()]
