"""Who may download an export or read a certificate (see the interface with ``rights``).

An account holder needs a fresh identity check (``accounts.stepup``); a person without an
account proves, through the ``rights`` code check, that this browser session is theirs, which
``mark_verified`` notes in the session for 30 minutes.
"""

import datetime

from django.utils import timezone

from piwarden.accounts import stepup

VERIFIED_FOR = datetime.timedelta(minutes=30)
SESSION_KEY = "subjectdata.verified"


def mark_verified(request, subject) -> None:
    """Called by rights after a code check proved that this browser session belongs to the
    person behind ``subject``; valid 30 minutes."""
    verified = {k: v for k, v in request.session.get(SESSION_KEY, {}).items()
                if timezone.now().timestamp() - v <= VERIFIED_FOR.total_seconds()}
    verified[str(subject.pk)] = timezone.now().timestamp()
    request.session[SESSION_KEY] = verified


def session_verified(request, subject_id) -> bool:
    stamp = request.session.get(SESSION_KEY, {}).get(str(subject_id))
    return stamp is not None and timezone.now().timestamp() - stamp <= VERIFIED_FOR.total_seconds()


def account_subject_id(request):
    """The subject of the logged-in person's account, or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    account = getattr(user, "account", None)
    return account.subject_id if account is not None else None


def owns(request, obj) -> bool:
    """The object's subject is this request's person (account or verified session)."""
    return account_subject_id(request) == obj.subject_id or session_verified(request,
                                                                             obj.subject_id)


def may_download(request, archive) -> bool:
    """The archive's subject is the logged-in account's subject with a fresh identity check,
    or the session was marked verified for it."""
    if session_verified(request, archive.subject_id):
        return True
    return account_subject_id(request) == archive.subject_id and stepup.is_fresh(request)
