"""Fresh identity checks: revealing a full value or changing phone, e-mail, password, ID or
second factor needs a password or second-factor check within the last five minutes.

A session keeps the time in the session; an access token keeps it on the token row.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from piwarden.accounts import services
from piwarden.accounts.errors import AccountError

FRESH_FOR = datetime.timedelta(minutes=5)
SESSION_KEY = "accounts.reauth_at"


def mark_fresh(request) -> None:
    token = getattr(request, "account_token", None)
    if token is not None:
        services.mark_token_fresh(token=token)
    else:
        request.session[SESSION_KEY] = timezone.now().timestamp()


def is_fresh(request) -> bool:
    token = getattr(request, "account_token", None)
    if token is not None:
        checked = token.reauth_at
    else:
        stamp = request.session.get(SESSION_KEY)
        checked = (datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC)
                   if stamp is not None else None)
    return checked is not None and timezone.now() - checked <= FRESH_FOR


def require_fresh(request) -> None:
    if not is_fresh(request):
        raise AccountError("REAUTH_REQUIRED",
                           _("Confirm it is you (password or authentication code) first."),
                           status=403)
