"""Identity check for people without an account (leads, campaign contacts, partner-supplied
persons): a code sent to the e-mail or phone they gave us.

The page answers the same whether or not the value is on file (no enumeration); a code is
sent only when it is. The challenge is a database row (``CodeChallenge``: a keyed digest of
the code, the subject when known, an expiry and an attempt counter) that the session names by
id, so parallel guesses from one session or many share one counter. Sends are limited per
address (a keyed digest of it) and per client address, counted one at a time in the shared
store. The value itself is never kept.
"""

import datetime
import hmac
import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import get_random_string, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.rights import notify
from piwarden.rights.models import CodeChallenge
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.vault import services as vault
from piwarden.vault.errors import InvalidValue
from piwarden.vault.fields import normalize_email, normalize_phone
from piwarden.web.ratelimit import allow_serialized

SESSION_KEY = "rights.challenge"
VERIFIED_KEY = "rights.verified_subject"
CODE_TTL = datetime.timedelta(minutes=10)
ATTEMPTS = 5
SENDS_PER_ADDRESS = 5
SENDS_PER_IP = 10
SEND_WINDOW = 3600
VERIFIED_FOR = datetime.timedelta(minutes=30)
_NORMALIZE = {"email": normalize_email, "phone": normalize_phone}


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


@sensitive_variables("value", "address")
def _address(channel: str, value: str) -> str:
    """One spelling per address, so "138 1234 5678" and "+8613812345678" share a limit."""
    try:
        return _NORMALIZE[channel](value).lower()
    except InvalidValue:
        return value.strip().lower()


@sensitive_variables("value", "address", "code")
def start(session, *, channel: str, value: str, ip: str) -> None:
    """Send a code if ``value`` is on file; the caller shows the same page either way."""
    if channel not in _NORMALIZE:
        raise CodeError("CHANNEL_INVALID", _("Choose e-mail or mobile phone."))
    address = _address(channel, value)
    if not allow_serialized("rights.code_ip", ip or "-", limit=SENDS_PER_IP,
                            window=SEND_WINDOW) or not allow_serialized(
            "rights.code_target", _digest("target", channel, address),
            limit=SENDS_PER_ADDRESS, window=SEND_WINDOW):
        raise CodeError("RATE_LIMITED", _("Too many attempts. Please try again later."), 429)
    subject = _pick(vault.find_subject_ids(channel, value))
    code = get_random_string(6, "0123456789")
    now = timezone.now()
    with transaction.atomic():
        CodeChallenge.objects.filter(expires_at__lt=now - CODE_TTL).delete()
        challenge_id = uuid.uuid4()
        CodeChallenge.objects.create(id=challenge_id, subject=subject,
                                     digest=_digest(str(challenge_id), code),
                                     expires_at=now + CODE_TTL)
        if subject is not None:
            text = _("Your piwarden verification code for a privacy request is %(code)s. It "
                     "expires in 10 minutes. If you did not ask for it, ignore this message."
                     ) % {"code": code}
            audit.record(actor=Actor.system("rights.public_form"), action="rights.code_sent",
                         subject=subject,
                         categories=[f"user.contact.{channel}"], purpose=notify.PURPOSE,
                         legal_basis="legal_obligation", detail={"channel": channel})
            notify.deliver((channel, value.strip()), _("Your verification code"), text,
                           person=subject)
    session[SESSION_KEY] = str(challenge_id)


def _challenge_id(session) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(session.get(SESSION_KEY)))
    except ValueError:
        return None


@sensitive_variables("code")
def confirm(session, *, code: str) -> Subject:
    """The subject behind the challenge when ``code`` is right.

    Each guess first takes one of the challenge's attempts (a conditional UPDATE, so parallel
    guesses cannot all pass the check), and only then is compared: once the attempts are
    used, even the right code is refused. A right code works once.
    """
    challenge_id = _challenge_id(session)
    live = CodeChallenge.objects.filter(pk=challenge_id, used=False,
                                        expires_at__gt=timezone.now())
    if challenge_id is None or not live.exists():
        session.pop(SESSION_KEY, None)
        raise CodeError("CODE_EXPIRED", _("The code has expired. Ask for a new one."))
    if not live.filter(attempts__lt=ATTEMPTS).update(attempts=F("attempts") + 1):
        raise CodeError("CODE_ATTEMPTS_EXCEEDED", _("Too many wrong codes. Ask for a new one."))
    challenge = CodeChallenge.objects.select_related("subject").get(pk=challenge_id)
    ok = hmac.compare_digest(challenge.digest, _digest(str(challenge.pk), code.strip()))
    if not ok or challenge.subject is None:
        raise CodeError("CODE_INVALID", _("This code is not right."))
    if not live.update(used=True):
        raise CodeError("CODE_EXPIRED", _("The code has expired. Ask for a new one."))
    session.pop(SESSION_KEY, None)
    subject = challenge.subject
    session[VERIFIED_KEY] = {"subject": str(subject.pk), "at": timezone.now().timestamp()}
    return subject


def verified_subject(session) -> Subject | None:
    """The subject this session proved to be (code check within the last 30 minutes)."""
    mark = session.get(VERIFIED_KEY)
    if not mark or timezone.now().timestamp() - mark["at"] > VERIFIED_FOR.total_seconds():
        return None
    return Subject.objects.filter(pk=mark["subject"]).exclude(status=SubjectStatus.ERASED).first()
