"""Identity check for people without an account (leads, campaign contacts, partner-supplied
persons): a code sent to the e-mail or phone they gave us.

The page answers the same whether or not the value is on file (no enumeration); a code is
sent only when it is. The challenge lives in the session (a keyed digest of the code, the
subject id when known, an expiry and an attempt counter): nothing is stored for an unknown
value, and the value itself is never kept.
"""

import datetime
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.rights import notify
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.vault import services as vault
from piwarden.web.ratelimit import allow

SESSION_KEY = "rights.challenge"
VERIFIED_KEY = "rights.verified_subject"
CODE_TTL = datetime.timedelta(minutes=10)
ATTEMPTS = 5
VERIFIED_FOR = datetime.timedelta(minutes=30)


class CodeError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _digest(*parts: str) -> str:
    return salted_hmac("piwarden.rights.code", "\x1f".join(parts), algorithm="sha256").hexdigest()


def _pick(ids) -> Subject | None:
    """People without an account first (this form is for them), newest first."""
    subjects = list(Subject.objects.filter(pk__in=ids).exclude(status=SubjectStatus.ERASED)
                    .order_by("-created_at"))
    subjects.sort(key=lambda s: s.kind == SubjectKind.ACCOUNT_HOLDER)
    return subjects[0] if subjects else None


@sensitive_variables("value", "code")
def start(session, *, channel: str, value: str, ip: str) -> None:
    """Send a code if ``value`` is on file; the caller shows the same page either way."""
    if channel not in ("email", "phone"):
        raise CodeError("CHANNEL_INVALID", _("Choose e-mail or mobile phone."))
    if not allow("rights.code_ip", ip or "-", limit=10, window=3600) or not allow(
            "rights.code_target", _digest("target", channel, value.strip().lower()),
            limit=5, window=3600):
        raise CodeError("RATE_LIMITED", _("Too many attempts. Please try again later."), 429)
    subject = _pick(vault.find_subject_ids(channel, value))
    code = f"{secrets.randbelow(10**6):06d}"
    nonce = secrets.token_hex(8)
    session[SESSION_KEY] = {
        "subject": str(subject.pk) if subject else "", "nonce": nonce,
        "digest": _digest(nonce, code), "attempts": 0,
        "expires": (timezone.now() + CODE_TTL).timestamp(),
    }
    if subject is None:
        return
    text = _("Your piwarden verification code for a privacy request is %(code)s. It expires in "
             "10 minutes. If you did not ask for it, ignore this message.") % {"code": code}
    with transaction.atomic():
        audit.record(actor=Actor.system("rights.public_form"), action="rights.code_sent",
                     subject=subject,
                     categories=[f"user.contact.{channel}"], purpose=notify.PURPOSE,
                     legal_basis="legal_obligation", detail={"channel": channel})
        notify.deliver((channel, value.strip()), _("Your verification code"), text)


@sensitive_variables("code")
def confirm(session, *, code: str) -> Subject:
    """The subject behind the challenge when ``code`` is right; counts wrong attempts."""
    challenge = session.get(SESSION_KEY)
    if not challenge or timezone.now().timestamp() > challenge["expires"]:
        session.pop(SESSION_KEY, None)
        raise CodeError("CODE_EXPIRED", _("The code has expired. Ask for a new one."))
    if challenge["attempts"] >= ATTEMPTS:
        raise CodeError("CODE_ATTEMPTS_EXCEEDED", _("Too many wrong codes. Ask for a new one."))
    challenge["attempts"] += 1
    session[SESSION_KEY] = challenge
    ok = hmac.compare_digest(challenge["digest"], _digest(challenge["nonce"], code.strip()))
    if not ok or not challenge["subject"]:
        raise CodeError("CODE_INVALID", _("This code is not right."))
    session.pop(SESSION_KEY, None)
    subject = Subject.objects.get(pk=challenge["subject"])
    session[VERIFIED_KEY] = {"subject": str(subject.pk), "at": timezone.now().timestamp()}
    return subject


def verified_subject(session) -> Subject | None:
    """The subject this session proved to be (code check within the last 30 minutes)."""
    mark = session.get(VERIFIED_KEY)
    if not mark or timezone.now().timestamp() - mark["at"] > VERIFIED_FOR.total_seconds():
        return None
    return Subject.objects.filter(pk=mark["subject"]).exclude(status=SubjectStatus.ERASED).first()
