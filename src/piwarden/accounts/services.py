"""Every write of the accounts app: each one saves its rows and its audit record together.

PI values go only to the vault. Functions that must remember a failed attempt (a wrong code,
a wrong password) do their writes in an atomic block and raise after it, so the counter
survives the refusal.
"""

import contextlib
import datetime
import hashlib
import hmac
import io
import secrets
import uuid
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError

from piwarden.accounts import conf, registry, totp, validators
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import (
    AccessToken,
    Account,
    AccountSession,
    Channel,
    CodeChannel,
    GuardianRequest,
    GuardianStatus,
    IdType,
    ProfileChange,
    RecoveryCode,
    ServiceActivation,
    ThrottleEvent,
    VerificationCode,
)
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor, ActorKind
from piwarden.audit.models import Outcome
from piwarden.consent import services as consent
from piwarden.discovery import screening
from piwarden.outbox import services as outbox
from piwarden.sharing import egress
from piwarden.sites import guard
from piwarden.subjects.models import SubjectKind, SubjectStatus
from piwarden.subjects.services import change_status, create_subject
from piwarden.vault import fields as vault_fields
from piwarden.vault import services as vault
from piwarden.web import ratelimit

CODE_TTL = datetime.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_GAP = datetime.timedelta(seconds=60)
GUARDIAN_TTL = datetime.timedelta(days=7)
# An account whose phone and e-mail both stay unverified this long is deleted by the purge.
UNVERIFIED_TTL = datetime.timedelta(hours=24)
GUARDIAN_MIN_AGE = 14
TOKEN_PREFIX = "pwa_"  # noqa: S105 (a prefix, not a secret)
RECOVERY_CODES = 10
AVATAR_SIZE = 512
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}

# scope: (events allowed, window). Exceeding a login scope locks it for the rest of the window.
LIMITS = {
    "login_id": (5, datetime.timedelta(minutes=15)),
    "login_ip": (20, datetime.timedelta(minutes=15)),
    "reauth": (5, datetime.timedelta(minutes=15)),
    "code_target": (5, datetime.timedelta(hours=1)),
    "code_ip": (20, datetime.timedelta(hours=1)),
    "signup_ip": (10, datetime.timedelta(hours=1)),
}

# field -> (vault field or "" when kept elsewhere, catalog category, purpose of writes)
FIELDS = {
    "user_name": ("", "user.account.username", "account.profile_edit"),
    "avatar": ("", "user.account.avatar", "account.profile_edit"),
    "password": ("", "user.credentials.password", "account.profile_edit"),
    "phone": ("phone", "user.contact.phone", "account.profile_edit"),
    "email": ("email", "user.contact.email", "account.profile_edit"),
    "address": ("address", "user.address", "account.profile_edit"),
    "name": ("name", "user.name", "service.provision"),
    "contact_other": ("contact_other", "user.contact.other", "service.provision"),
    "id_info": ("id_number", "user.id_info", "service.provision"),
}
REVEALABLE = ("phone", "email", "address", "name", "contact_other", "id_info")
_BASIS = {"account.registration": "contract", "account.profile_edit": "contract",
          "service.provision": "contract", "security": "legal_obligation"}

_dummy_hash: str | None = None


def _put(*, actor: Actor, subject, field: str, value: str, purpose: str) -> None:
    """vault.put, with its refusal turned into the app's error (our validators run first)."""
    try:
        vault.put(actor=actor, subject=subject, field=field, value=value, purpose=purpose)
    except vault.InvalidValue:
        raise AccountError("VALUE_INVALID", _("This value is not valid."), field=field) from None


def actor_of(account: Account) -> Actor:
    return Actor.person(account.subject)


def _digest(*parts: str) -> str:
    return salted_hmac("piwarden.accounts", "\x1f".join(parts), algorithm="sha256").hexdigest()


def _target(channel: str, value: str) -> str:
    return _digest("target", channel, value.lower() if channel == CodeChannel.EMAIL else value)


def _record(account: Account, action: str, field: str) -> None:
    _vault_field, category, purpose = FIELDS[field]
    audit.record(actor=actor_of(account), action=action, subject=account.subject, obj=account,
                 categories=[category], purpose=purpose, legal_basis=_BASIS[purpose],
                 detail={"field": field})


def _changed(account: Account, field: str, channel: str, *, actor: Actor) -> None:
    """The person's history row and the audit record of one profile change."""
    ProfileChange.objects.create(account=account, field=field, channel=channel)
    _vault_field, category, purpose = FIELDS[field]
    basis = _BASIS.get(purpose)
    if field == "id_info":  # held on the separate consent of the service that needed it
        purpose, basis = id_purpose(account), "consent.separate"
    audit.record(actor=actor, action="account.profile_changed", subject=account.subject,
                 obj=account, categories=[category], purpose=purpose,
                 legal_basis=basis, detail={"field": field, "channel": channel})


# --- rate limits -------------------------------------------------------------------------

def _hits(scope: str, key: str) -> int:
    _limit, window = LIMITS[scope]
    since = timezone.now() - window
    return ThrottleEvent.objects.filter(scope=scope, key=key, created_at__gte=since).count()


def _over(scope: str, key: str) -> bool:
    return _hits(scope, key) >= LIMITS[scope][0]


def _hit(scope: str, key: str) -> None:
    ThrottleEvent.objects.create(scope=scope, key=key, created_at=timezone.now())


def _take(*scoped: tuple[str, str]) -> list[int] | None:
    """Count one attempt in every (scope, key) before it is evaluated (``ratelimit.take``):
    the hit ids, or None (nothing counted) when any scope is over its limit."""
    taken = []
    for scope, key in scoped:
        limit, window = LIMITS[scope]
        hit_id = ratelimit.take(scope, key, limit=limit, window=int(window.total_seconds()))
        if hit_id is None:
            for earlier in taken:
                ratelimit.release(earlier)
            return None
        taken.append(hit_id)
    return taken


def _rate_limited() -> AccountError:
    return AccountError("RATE_LIMITED", _("Too many attempts. Please try again later."),
                        status=429)


# --- sign-up and binding -----------------------------------------------------------------

def _taken(field: str, value: str, *, account: Account | None = None,
           verified_only: bool = True) -> bool:
    """Whether another account holds this phone or e-mail.

    Only a verified value counts by default: someone who signs up with another person's
    number cannot lock its owner out (the squatting account is purged after a day).
    """
    ids = set(vault.find_subject_ids(field, value))
    if account is not None:
        ids.discard(account.subject_id)
    holders = Account.objects.filter(subject_id__in=ids)
    if verified_only:
        holders = holders.filter(**{f"{field}_verified_at__isnull": False})
    return bool(ids) and holders.exists()


def _taken_error(channel: str) -> AccountError:
    return AccountError("CONTACT_TAKEN", _("Another account has already verified this value."),
                        status=409, field=channel)


def sign_up(*, phone: str, email: str, password: str, ip: str = "",
            channel: str = Channel.WEB) -> Account:
    """Create the account (phone, e-mail and password only, C-2.1.1a) and send both codes.

    Every attempt counts against the IP's sign-up limit, refused ones too (they are what an
    enumeration of registered numbers would be made of).
    """
    phone = validators.phone(phone)
    email = validators.email(email)
    validators.password(password, phone_value=phone, email_value=email)
    ip_key = _digest("ip", ip)
    with transaction.atomic():
        limited = _over("signup_ip", ip_key)
        if not limited:
            _hit("signup_ip", ip_key)
    if limited:
        raise _rate_limited()
    return _create_account(phone=phone, email=email, password=password, ip_key=ip_key,
                           channel=channel)


@transaction.atomic
def _create_account(*, phone: str, email: str, password: str, ip_key: str,
                    channel: str) -> Account:
    if _taken("phone", phone) or _taken("email", email):
        raise AccountError("ALREADY_REGISTERED", _("This phone number or e-mail address cannot "
                                                   "be used to sign up. If it is yours, log in."),
                           status=409)
    user = get_user_model().objects.create_user(username=f"u{uuid.uuid4().hex}",
                                                password=password)
    subject = create_subject(actor=Actor.system("accounts.sign_up"),
                             kind=SubjectKind.ACCOUNT_HOLDER)
    account = Account.objects.create(user=user, subject=subject)
    actor = actor_of(account)
    _put(actor=actor, subject=subject, field="phone", value=phone,
         purpose="account.registration")
    _put(actor=actor, subject=subject, field="email", value=email,
         purpose="account.registration")
    audit.record(actor=actor, action="account.created", subject=subject, obj=account,
                 categories=["user.contact.phone", "user.contact.email",
                             "user.credentials.password", "user.account.id"],
                 purpose="account.registration", legal_basis="contract",
                 detail={"channel": channel})
    for code_channel, value in ((CodeChannel.PHONE, phone), (CodeChannel.EMAIL, email)):
        _issue_code(account, code_channel, value, ip_key)
    return account


def _message(code: str) -> tuple[str, str]:
    minutes = int(CODE_TTL.total_seconds() // 60)
    return (_("Your piwarden verification code"),
            _("Your verification code is %(code)s. It expires in %(minutes)d minutes. "
              "If you did not ask for it, ignore this message.") % {"code": code,
                                                                     "minutes": minutes})


def _queue_message(account: Account, channel: str, to: str, subject_line: str, text: str, *,
                   kind: str, concerns, key: str) -> None:
    """Queue the message in the caller's transaction; the outbox sends it after the commit
    (retried, then given up with an alert; the person can ask for a new code). Codes go to the
    person's own address and guardian requests to the address they named."""
    common = {"actor": actor_of(account), "audience": egress.Audience.PERSON,
              "source": "accounts.codes", "kind": kind, "concerns": concerns,
              "person": account.subject, "idempotency_key": key}
    if channel == CodeChannel.PHONE:
        outbox.enqueue_sms(to=to, text=text, **common)
    else:
        outbox.enqueue_email(to=[to], subject=subject_line, body=text, **common)


def _issue_code(account: Account, channel: str, value: str, ip_key: str, *,
                deliver: bool = True) -> None:
    """Count the limits and store a code row; ``deliver=False`` keeps the code unknown to
    everyone (a value another account holds), so the caller's answer does not change."""
    now = timezone.now()
    target = _target(channel, value)
    last = (VerificationCode.objects.filter(account=account, channel=channel,
                                            target_digest=target)
            .order_by("-created_at").first())
    if last is not None and now - last.created_at < CODE_GAP:
        raise AccountError("RATE_LIMITED", _("Please wait a minute before asking for a new "
                                             "code."), status=429,
                           detail={"retry_after": int((CODE_GAP - (now - last.created_at))
                                                      .total_seconds()) + 1})
    if _over("code_target", target) or _over("code_ip", ip_key):
        raise _rate_limited()
    _hit("code_target", target)
    _hit("code_ip", ip_key)
    VerificationCode.objects.filter(account=account, channel=channel, target_digest=target,
                                    used_at=None).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}" if deliver else secrets.token_hex(16)
    row = VerificationCode.objects.create(
        account=account, channel=channel, target_digest=target,
        digest=_digest("code", target, code), created_at=now, expires_at=now + CODE_TTL)
    category = "user.contact.phone" if channel == CodeChannel.PHONE else "user.contact.email"
    audit.record(actor=actor_of(account),
                 action="account.code_sent" if deliver else "account.code_withheld",
                 subject=account.subject, obj=row,
                 categories=["user.credentials.verification_code", category],
                 purpose="security", legal_basis="legal_obligation",
                 detail={"channel": channel})
    if deliver:
        subject_line, text = _message(code)
        _queue_message(account, channel, value, subject_line, text, kind="accounts.code",
                       concerns=row, key=f"accounts.code.{row.pk}")


@transaction.atomic
def send_code(*, account: Account, channel: str, ip: str = "", new_value: str = "") -> None:
    """Send a code to the current value (binding) or to a new value (changing it).

    A new value that another account has verified gets the same answer, and the same limits
    are counted, but no code is sent: the endpoint cannot tell which values are registered,
    and the other account's owner receives nothing. ``change_contact`` refuses it.
    """
    if channel not in CodeChannel.values:
        raise AccountError("CHANNEL_INVALID", _("Codes go to 'phone' or 'email'."))
    deliver = True
    if new_value:
        value = validators.phone(new_value) if channel == CodeChannel.PHONE else \
            validators.email(new_value)
        _check_mutable(account, channel)
        deliver = not _taken(channel, value, account=account)
    else:
        value = vault.reveal(actor=actor_of(account), subject=account.subject, field=channel,
                             purpose="security")
    _issue_code(account, channel, value, _digest("ip", ip), deliver=deliver)


def _use_code(account: Account, channel: str, value: str, code: str) -> str | None:
    """Consume a matching code; return an error code or None. Counts the attempt."""
    row = (VerificationCode.objects.select_for_update()
           .filter(account=account, channel=channel, used_at=None,
                   target_digest=_target(channel, value))
           .order_by("-created_at").first())
    now = timezone.now()
    if row is None:
        return "CODE_INVALID"
    if row.expires_at <= now:
        return "CODE_EXPIRED"
    if row.attempts >= CODE_ATTEMPTS:
        return "CODE_ATTEMPTS_EXCEEDED"
    if not hmac.compare_digest(row.digest, _digest("code", row.target_digest,
                                                    str(code).strip())):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        return "CODE_ATTEMPTS_EXCEEDED" if row.attempts >= CODE_ATTEMPTS else "CODE_INVALID"
    row.used_at = now
    row.save(update_fields=["used_at"])
    return None


_CODE_MESSAGES = {
    "CODE_INVALID": gettext_noop("This code is not right."),
    "CODE_EXPIRED": gettext_noop("This code has expired. Ask for a new one."),
    "CODE_ATTEMPTS_EXCEEDED": gettext_noop("Too many wrong codes. Ask for a new one."),
}


def _code_error(code: str) -> AccountError:
    return AccountError(code, _(_CODE_MESSAGES[code]), field="code")


def verify_contact(*, account: Account, channel: str, code: str) -> None:
    """Bind the current phone or e-mail with the code sent to it."""
    if channel not in CodeChannel.values:
        raise AccountError("CHANNEL_INVALID", _("Codes go to 'phone' or 'email'."))
    with transaction.atomic():
        value = vault.reveal(actor=actor_of(account), subject=account.subject, field=channel,
                             purpose="security")
        error = _use_code(account, channel, value, code)
        if error is None and _taken(channel, value, account=account):
            error = "CONTACT_TAKEN"
        if error is None:
            stamp = f"{channel}_verified_at"
            setattr(account, stamp, timezone.now())
            account.save(update_fields=[stamp])
            _record(account, "account.contact_verified", channel)
    if error == "CONTACT_TAKEN":
        raise _taken_error(channel)
    if error:
        raise _code_error(error)


def change_contact(*, account: Account, channel: str, new_value: str, code: str,
                   via: str = Channel.WEB) -> None:
    """Replace the phone or e-mail with a new value proven by the code sent to it (C-2.1.3)."""
    if channel not in CodeChannel.values:
        raise AccountError("CHANNEL_INVALID", _("Codes go to 'phone' or 'email'."))
    value = validators.phone(new_value) if channel == CodeChannel.PHONE else \
        validators.email(new_value)
    _check_mutable(account, channel)
    with transaction.atomic():
        error = _use_code(account, channel, value, code)
        if error is None:
            if _taken(channel, value, account=account):
                raise _taken_error(channel)
            actor = actor_of(account)
            _put(actor=actor, subject=account.subject, field=channel, value=value,
                 purpose="account.profile_edit")
            stamp = f"{channel}_verified_at"
            setattr(account, stamp, timezone.now())
            account.save(update_fields=[stamp])
            _changed(account, channel, via, actor=actor)
    if error:
        raise _code_error(error)


# --- logging in, identity checks, sessions -----------------------------------------------

def _lookup(identifier: str) -> Account | None:
    identifier = str(identifier or "").strip()
    try:
        field, value = (("email", validators.email(identifier)) if "@" in identifier
                        else ("phone", validators.phone(identifier)))
    except AccountError:
        return None
    ids = vault.find_subject_ids(field, value)
    # an unverified holder of the same value (a sign-up not bound yet) comes after the
    # verified one
    return (Account.objects.select_related("user", "subject").filter(subject_id__in=ids)
            .order_by(F(f"{field}_verified_at").asc(nulls_last=True), "created_at").first())


def _login_key(identifier: str) -> str:
    """The lock-out key of an identifier: one per phone number or e-mail address, however
    it is written (E.164 phone, lower-cased e-mail; other text normalized and lower-cased)."""
    text = " ".join(str(identifier or "").split())
    normalize = vault_fields.normalize_email if "@" in text else vault_fields.normalize_phone
    with contextlib.suppress(vault.InvalidValue):
        text = normalize(text)
    return _digest("login", text.lower())


def _same_work_as_a_password_check(password: str) -> None:
    """Hash against a dummy so an unknown account takes as long as a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = make_password(secrets.token_hex(16))
    check_password(password, _dummy_hash)


def _totp_ok(account: Account, secret: str, code: str) -> bool:
    step = totp.matching_step(secret, code, after=account.totp_last_step)
    if step is None:
        return False
    account.totp_last_step = step
    account.save(update_fields=["totp_last_step"])
    return True


def _second_factor_ok(account: Account, code: str) -> bool:
    """A fresh TOTP code (not replayed) or an unused recovery code, which is then spent."""
    code = "".join(str(code or "").split())
    if not code or not account.totp_enabled:
        return False
    if code.isdigit() and len(code) == 6:
        secret = vault.reveal(actor=actor_of(account), subject=account.subject,
                              field="totp_secret", purpose="security")
        return bool(secret) and _totp_ok(account, secret, code)
    digest = _digest("recovery", code.lower())
    return RecoveryCode.objects.filter(account=account, digest=digest, used_at=None).update(
        used_at=timezone.now()) == 1


def log_in(*, identifier: str, password: str, otp: str = "", ip: str = "") -> Account:
    """The account for these credentials, or a refusal that never says whether it exists.

    The attempt is counted before it is evaluated (``_take``, outside the transaction), so
    concurrent attempts cannot all pass a check made before any of them was counted.
    """
    id_key = _login_key(identifier)
    ip_key = _digest("ip", ip)
    taken = _take(("login_id", id_key), ("login_ip", ip_key))
    with transaction.atomic():
        if taken is None:
            # Refused before any hashing: a flood of locked-out attempts must not cost an
            # Argon2 run each (the lock-out applies whether the account exists or not).
            outcome, account = "LOCKED_OUT", None
        else:
            account = _lookup(identifier)
            if account is None:
                _same_work_as_a_password_check(password)
                outcome = "INVALID_CREDENTIALS"
            elif not (account.user.check_password(password) and account.user.is_active):
                outcome = "INVALID_CREDENTIALS"
            elif account.totp_enabled and not otp:
                outcome = "OTP_REQUIRED"
            elif account.totp_enabled and not _second_factor_ok(account, otp):
                outcome = "OTP_INVALID"
            else:
                outcome = "OK"
        if outcome == "OK":
            ThrottleEvent.objects.filter(scope="login_id", key=id_key).delete()
        if outcome in ("OK", "OTP_REQUIRED"):  # not a failure: uncount the attempt
            ThrottleEvent.objects.filter(pk__in=taken).delete()
        if outcome != "OTP_REQUIRED":
            audit.record(
                actor=actor_of(account) if account else Actor.system("accounts.login"),
                action="account.login" if outcome == "OK" else "account.login_failed",
                subject=account.subject if account else None,
                categories=["user.account.id"], purpose="security",
                legal_basis="legal_obligation",
                outcome=Outcome.SUCCESS if outcome == "OK" else Outcome.DENIED,
                detail={} if outcome == "OK" else {"reason": outcome})
    if outcome == "LOCKED_OUT":
        raise AccountError("LOCKED_OUT", _("Too many failed attempts. Please try again in 15 "
                                           "minutes."), status=429)
    if outcome == "INVALID_CREDENTIALS":
        raise AccountError("INVALID_CREDENTIALS",
                           _("The phone number, e-mail or password is not right."), status=401)
    if outcome == "OTP_REQUIRED":
        raise AccountError("OTP_REQUIRED", _("Enter the code from your authenticator app or a "
                                             "recovery code."), status=401, field="otp")
    if outcome == "OTP_INVALID":
        raise AccountError("OTP_INVALID", _("This authentication code is not right."),
                           status=401, field="otp")
    return account


def reauthenticate(*, account: Account, password: str = "", otp: str = "") -> None:
    """Check the person again (password or second factor) before a sensitive step."""
    key = _digest("reauth", str(account.pk))
    taken = _take(("reauth", key))  # counted first, like log_in
    with transaction.atomic():
        if taken is None:
            outcome = "LOCKED_OUT"
        elif (password and account.user.check_password(password)) or (
                otp and _second_factor_ok(account, otp)):
            outcome = "OK"
            ThrottleEvent.objects.filter(pk__in=taken).delete()
        else:
            outcome = "REAUTH_FAILED"
        audit.record(actor=actor_of(account), action="account.reauthenticated",
                     subject=account.subject, obj=account,
                     categories=["user.credentials.password"], purpose="security",
                     legal_basis="legal_obligation",
                     outcome=Outcome.SUCCESS if outcome == "OK" else Outcome.DENIED)
    if outcome == "LOCKED_OUT":
        raise AccountError("LOCKED_OUT", _("Too many failed attempts. Please try again in 15 "
                                           "minutes."), status=429)
    if outcome != "OK":
        raise AccountError("REAUTH_FAILED", _("The password or code is not right."),
                           status=403)


def remember_session(*, account: Account, session_key: str) -> None:
    AccountSession.objects.get_or_create(account=account, session_key=session_key)


@transaction.atomic
def replace_session(*, account: Account, old_key: str, new_key: str) -> None:
    """Track the session under its new key after Django rotated it (password change), so
    "log out everywhere" still ends it."""
    AccountSession.objects.filter(account=account, session_key=old_key).delete()
    if new_key:
        remember_session(account=account, session_key=new_key)


def _end_sessions(account: Account, keep: str = "") -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = AccountSession.objects.filter(account=account).exclude(session_key=keep)
    ended = 0
    for row in rows:
        store(session_key=row.session_key).delete()
        ended += 1
    rows.delete()
    return ended


@transaction.atomic
def end_all_sessions(*, account: Account) -> int:
    """Log out everywhere: every session and every access token of the account ends."""
    ended = _end_sessions(account)
    AccessToken.objects.filter(account=account, revoked_at=None).update(
        revoked_at=timezone.now())
    audit.record(actor=actor_of(account), action="account.sessions_ended",
                 subject=account.subject, obj=account, categories=["user.account.id"],
                 purpose="security", legal_basis="legal_obligation", detail={"ended": ended})
    return ended


# --- profile fields ----------------------------------------------------------------------

def has_value(account: Account, field: str) -> bool:
    if field in ("phone", "email"):
        return getattr(account, f"{field}_verified_at") is not None
    if field == "user_name":
        return bool(account.user_name)
    if field == "avatar":
        return bool(account.avatar)
    if field == "id_info":
        return bool(account.id_type)
    if field == "password":
        return True
    return vault.masked(account.subject, FIELDS[field][0]) is not None


def _check_mutable(account: Account, field: str) -> None:
    if field in conf.immutable_fields() and has_value(account, field):
        raise AccountError(
            "FIELD_IMMUTABLE",
            _("This information cannot be changed here once it is set or verified. Send a "
              "correction request instead."),
            status=409, field=field,
            detail={"field": field, "correction_request": conf.correction_request_url()})


_STAFF_CLEANERS = {"user_name": validators.user_name, "name": validators.name,
                   "contact_other": validators.contact_other, "phone": validators.phone,
                   "email": validators.email}


@transaction.atomic
def correct_field(*, actor: Actor, account: Account, field: str, value: str) -> None:
    """Apply a correction that staff reviewed (policy §6.2), immutable fields included:
    validated like the person's own edit and shown in their history as a staff change."""
    if field == "id_info":
        value, _born = validators.id_number(account.id_type or IdType.PRC_RESIDENT_ID, value)
    elif field in _STAFF_CLEANERS:
        value = _STAFF_CLEANERS[field](value)
    elif field != "address":  # the address arrives as the one line the person wrote
        raise AccountError("FIELD_UNKNOWN", _("This field cannot be corrected."), status=404)
    if field == "user_name":
        account.user_name = value
        account.save(update_fields=["user_name"])
    else:
        vault_field, _category, purpose = FIELDS[field]
        if field == "id_info":
            purpose = id_purpose(account)
        elif field == "contact_other":
            value = _screened_contact(actor, account, value, "accounts.correct_field")
        _put(actor=actor, subject=account.subject, field=vault_field, value=value,
             purpose=purpose)
    _changed(account, field, Channel.STAFF, actor=actor)


def _screened_contact(actor: Actor, account: Account, value: str, source: str) -> str:
    """"Other contact" is free text: what its purpose may not keep (an ID number typed into
    it) is removed before it is stored (``discovery.screening``); the phone numbers and
    e-mail addresses it is meant to hold stay."""
    return screening.screen(
        value, actor=actor, subject=account.subject, purpose=FIELDS["contact_other"][2],
        field="contact_other", source=source, max_length=validators.CONTACT_MAX,
        expected=("user.contact.phone", "user.contact.email")).text


@transaction.atomic
def set_field(*, account: Account, field: str, value, channel: str = Channel.WEB) -> None:
    """User name, name, other contact or structured address (C-2.1.3, C-2.1.1b)."""
    cleaners = {"user_name": validators.user_name, "name": validators.name,
                "contact_other": validators.contact_other, "address": validators.address}
    if field not in cleaners:
        raise AccountError("FIELD_UNKNOWN", _("This field cannot be edited here."), status=404)
    value = cleaners[field](value)
    _check_mutable(account, field)
    actor = actor_of(account)
    if field == "user_name":
        account.user_name = value
        account.save(update_fields=["user_name"])
    else:
        vault_field, _category, purpose = FIELDS[field]
        if field == "contact_other":
            value = _screened_contact(actor, account, value, "accounts.set_field")
        _put(actor=actor, subject=account.subject, field=vault_field, value=value,
             purpose=purpose)
    _changed(account, field, channel, actor=actor)


def change_password(*, account: Account, current: str, new: str, keep_session: str = "",
                    channel: str = Channel.WEB) -> None:
    """Needs the current password; ends every other session and every access token."""
    reauthenticate(account=account, password=current)
    with transaction.atomic():
        actor = actor_of(account)
        phone = vault.reveal(actor=actor, subject=account.subject, field="phone",
                             purpose="security") or ""
        email = vault.reveal(actor=actor, subject=account.subject, field="email",
                             purpose="security") or ""
        validators.password(new, phone_value=phone, email_value=email, field="new_password")
        _check_mutable(account, "password")
        account.user.set_password(new)
        account.user.save(update_fields=["password"])
        _end_sessions(account, keep=keep_session)
        AccessToken.objects.filter(account=account, revoked_at=None).update(
            revoked_at=timezone.now())
        _changed(account, "password", channel, actor=actor)


def reveal(*, account: Account, field: str) -> str | None:
    """The full value for its owner (the caller has checked a fresh identity check)."""
    if field not in REVEALABLE:
        raise AccountError("FIELD_UNKNOWN", _("This field cannot be shown."), status=404)
    vault_field, _category, purpose = FIELDS[field]
    if field == "id_info":
        purpose = id_purpose(account)
    try:
        return vault.reveal(actor=actor_of(account), subject=account.subject,
                            field=vault_field, purpose=purpose)
    except vault.RevealRefused:
        raise AccountError("REVEAL_REFUSED", _("This value cannot be shown: the consent or the "
                                               "purpose that allowed it is missing."),
                           status=403, field=field) from None


def masked_profile(account: Account) -> dict:
    subject = account.subject
    return {
        "user_name": account.user_name,
        "phone": vault.masked(subject, "phone"),
        "email": vault.masked(subject, "email"),
        "phone_verified": account.phone_verified_at is not None,
        "email_verified": account.email_verified_at is not None,
        "name": vault.masked(subject, "name"),
        "address": vault.masked(subject, "address"),
        "contact_other": vault.masked(subject, "contact_other"),
        "id_type": account.id_type,
        "id_number": vault.masked(subject, "id_number"),
        "has_avatar": bool(account.avatar),
        "totp_enabled": account.totp_enabled,
    }


# --- avatar ------------------------------------------------------------------------------

def _clean_image(data: bytes) -> bytes:
    """Decode, apply the EXIF orientation, and re-encode the pixels only (no EXIF, no GPS)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in AVATAR_FORMATS:
                raise AccountError("AVATAR_TYPE", _("Upload a JPEG, PNG, WebP or GIF image."),
                                   field="avatar")
            if image.width * image.height > AVATAR_MAX_PIXELS:
                raise AccountError("AVATAR_TOO_LARGE", _("This image is too large."),
                                   field="avatar")
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            image.thumbnail((AVATAR_SIZE, AVATAR_SIZE))
            clean = Image.frombytes(image.mode, image.size, image.tobytes())
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise AccountError("AVATAR_TYPE", _("This file is not an image we can read."),
                           field="avatar") from None
    out = io.BytesIO()
    clean.save(out, format="PNG")
    return out.getvalue()


def avatar_path(account: Account):
    return conf.avatar_dir() / account.avatar if account.avatar else None


@transaction.atomic
def set_avatar(*, account: Account, data: bytes, channel: str = Channel.WEB) -> None:
    if len(data) > conf.avatar_max_bytes():
        raise AccountError("AVATAR_TOO_LARGE", _("The image is larger than allowed."),
                           status=413, field="avatar")
    png = _clean_image(data)
    _check_mutable(account, "avatar")
    folder = conf.avatar_dir()
    folder.mkdir(parents=True, exist_ok=True)
    old = avatar_path(account)
    name = f"{account.subject_id}-{secrets.token_hex(8)}.png"
    (folder / name).write_bytes(png)
    account.avatar = name
    account.save(update_fields=["avatar"])
    _changed(account, "avatar", channel, actor=actor_of(account))
    if old is not None:
        transaction.on_commit(lambda: old.unlink(missing_ok=True))


@transaction.atomic
def delete_avatar(*, account: Account, channel: str = Channel.WEB) -> None:
    old = avatar_path(account)
    if old is None:
        return
    account.avatar = ""
    account.save(update_fields=["avatar"])
    _changed(account, "avatar", channel, actor=actor_of(account))
    transaction.on_commit(lambda: old.unlink(missing_ok=True))


# --- ID information and the guardian flow ------------------------------------------------

def id_purpose(account: Account) -> str:
    """The purpose this person's ID information is held for: the first purpose of a service
    that needs it whose separate consent they gave (older consents were filed under
    ``service.provision``, which stays readable)."""
    from piwarden.consent.decisions import decide

    purposes = conf.id_purposes()
    for purpose in purposes:
        if decide(account.subject_id, purpose, ["user.id_info"]).allowed:
            return purpose
    return purposes[0]


def id_notice(service: str) -> str:
    """The separate consent's own notice for the ID a service needs (issue 17 point 4): what
    (ID information), why (the service's purpose), for how long, the effect of refusing; it
    is shown before the tick and is the text the ledger records."""
    from piwarden.catalog.models import Purpose
    from piwarden.consent import notices

    purpose = Purpose.objects.get(key=conf.service_purpose(service))
    # Every category the grant covers is named, not only the ID: a separate consent that is
    # the purpose's own (invoicing) lets the purpose use all it declares.
    return notices.separate_notice(purpose, "separate.sensitive", consent.policy_version(),
                                   function=registry.label(service)).text


def set_id_info(*, account: Account, service: str, id_type: str, id_number: str,
                consent_given: bool, guardian_email: str = "", channel: str = Channel.WEB,
                ip: str | None = None, user_agent: str = "") -> GuardianRequest | None:
    """Save ID information for a service that needs it, with its separate consent (C-2.1.1b).

    An ID showing an age under 14 stores nothing: it returns a GuardianRequest, and the
    guardian's confirmation stores the number (see ``confirm_guardian``).
    """
    if not registry.needs(service, "id_info"):
        raise AccountError("SERVICE_DOES_NOT_NEED_ID",
                           _("ID information is asked only for a service that needs it."),
                           field="service")
    number, born = validators.id_number(id_type, id_number)
    if not consent_given:
        raise AccountError("SEPARATE_CONSENT_REQUIRED",
                           _("ID information is saved only with your separate consent."),
                           field="consent")
    _check_mutable(account, "id_info")
    today = timezone.localdate()
    with transaction.atomic():
        actor = actor_of(account)
        if born is not None and validators.age_on(born, today) < GUARDIAN_MIN_AGE:
            guardian = validators.email(guardian_email) if guardian_email else ""
            if not guardian or _taken("email", guardian, verified_only=False):
                raise AccountError(
                    "GUARDIAN_REQUIRED",
                    _("You are under 14: give the e-mail address of your parent or guardian, "
                      "who must confirm before anything is saved."),
                    status=422, field="guardian_email")
            target, ip_key = _target(CodeChannel.EMAIL, guardian), _digest("ip", ip or "")
            if _over("code_target", target) or _over("code_ip", ip_key):
                raise _rate_limited()
            _hit("code_target", target)
            _hit("code_ip", ip_key)
            return _open_guardian_request(account, service, id_type, number, guardian)
        _grant(actor=actor, subject=account.subject, service=service,
               notice_text=id_notice(service),
               channel="api" if channel == Channel.API else "web", ip=ip,
               user_agent=user_agent)
        _store_id(account, id_type, number, channel, actor=actor, service=service)
    return None


def _grant(*, actor: Actor, subject, service: str, notice_text: str, channel: str, ip,
           user_agent) -> None:
    """The separate consent for ID information, recorded in the consent ledger under the
    purpose of the service that needs it (invoicing: ``payment.invoicing``)."""
    try:
        consent.grant(actor=actor, subject=subject, purpose=conf.service_purpose(service),
                      scope="separate.sensitive", notice_text=notice_text, channel=channel,
                      ip=ip, user_agent=user_agent)
    except consent.ConsentError as exc:
        raise AccountError("CONSENT_NOT_RECORDED", _("Your consent could not be recorded."),
                           status=409, detail={"reason": exc.code}) from None


def _store_id(account: Account, id_type: str, number: str, channel: str, *,
              actor: Actor, service: str, confirmed: GuardianRequest | None = None) -> None:
    """Store the number under the purpose of the service that needs it; the account's other
    guardian requests are moot now and close."""
    purpose = conf.service_purpose(service)
    _put(actor=actor, subject=account.subject, field="id_number", value=number,
         purpose=purpose)
    account.id_type = id_type
    account.save(update_fields=["id_type"])
    GuardianRequest.objects.filter(account=account, status=GuardianStatus.PENDING).exclude(
        pk=confirmed.pk if confirmed else None).update(status=GuardianStatus.CANCELLED,
                                                       decided_at=timezone.now())
    ProfileChange.objects.create(account=account, field="id_info", channel=channel)
    audit.record(actor=actor, action="account.profile_changed", subject=account.subject,
                 obj=account, categories=["user.id_info"], purpose=purpose,
                 legal_basis="consent.separate",
                 detail={"field": "id_info", "channel": channel, "id_type": id_type,
                         "service": service})


def _open_guardian_request(account, service, id_type, number, guardian_email):
    prefix = secrets.token_hex(6)
    token = f"{prefix}.{secrets.token_urlsafe(24)}"
    request = GuardianRequest.objects.create(
        account=account, service=service, id_type=id_type,
        id_digest=_digest("id", id_type, number), token_prefix=prefix,
        token_digest=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=timezone.now() + GUARDIAN_TTL)
    audit.record(actor=actor_of(account), action="account.guardian_requested",
                 subject=account.subject, obj=request, categories=["user.minor"],
                 purpose=conf.service_purpose(service), legal_basis="consent.separate",
                 detail={"service": service})
    from django.urls import reverse

    link = f"{conf.site_url()}{reverse('accounts:guardian', args=[token])}"
    subject_line = _("A child asks for your consent on piwarden")
    text = _("A person who says you are their parent or guardian wants to give their ID "
             "information to the service \"%(service)s\". Under Chinese law we need your "
             "consent first. Nothing has been saved. To review and decide, open: %(link)s "
             "(valid for 7 days). If you do not know this person, ignore this message.") % {
        "service": registry.label(service), "link": link}
    _queue_message(account, CodeChannel.EMAIL, guardian_email, subject_line, text,
                   kind="accounts.guardian_request", concerns=request,
                   key=f"accounts.guardian.{request.pk}")
    return request


def guardian_request(token: str) -> GuardianRequest | None:
    prefix = str(token or "").split(".", 1)[0]
    request = (GuardianRequest.objects.select_related("account__subject")
               .filter(token_prefix=prefix).first())
    if request is None or not hmac.compare_digest(
            request.token_digest, hashlib.sha256(str(token).encode()).hexdigest()):
        return None
    return request


def confirm_guardian(*, token: str, id_number: str, consent_given: bool,
                     ip: str | None = None, user_agent: str = "") -> None:
    """The guardian re-enters the child's ID number and consents; only now is it stored."""
    request = guardian_request(token)
    if request is None:
        raise AccountError("NOT_FOUND", _("This link is not valid."), status=404)
    if request.status != GuardianStatus.PENDING or request.expires_at <= timezone.now():
        raise AccountError("GUARDIAN_REQUEST_CLOSED", _("This request is no longer open."),
                           status=410)
    if not consent_given:
        raise AccountError("SEPARATE_CONSENT_REQUIRED",
                           _("Tick the box to give your consent."), field="consent")
    account = request.account
    actor = Actor(ActorKind.PERSON, f"guardian:{request.token_prefix}")
    _check_mutable(account, "id_info")
    with transaction.atomic():
        request = GuardianRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != GuardianStatus.PENDING:
            raise AccountError("GUARDIAN_REQUEST_CLOSED", _("This request is no longer open."),
                               status=410)
        try:
            number, _born = validators.id_number(request.id_type, id_number)
            matches = hmac.compare_digest(request.id_digest,
                                          _digest("id", request.id_type, number))
        except AccountError:
            matches = False
        if matches and request.attempts < CODE_ATTEMPTS:
            _grant(actor=actor, subject=account.subject, service=request.service,
                   notice_text=_("Given by the parent or guardian: ") +
                   id_notice(request.service), channel="guardian", ip=ip, user_agent=user_agent)
            _store_id(account, request.id_type, number, Channel.GUARDIAN, actor=actor,
                      service=request.service, confirmed=request)
            request.status = GuardianStatus.CONFIRMED
            request.decided_at = timezone.now()
            request.save(update_fields=["status", "decided_at"])
            audit.record(actor=actor, action="account.guardian_confirmed",
                         subject=account.subject, obj=request,
                         categories=["user.minor", "user.id_info"],
                         purpose=conf.service_purpose(request.service),
                         legal_basis="consent.separate")
        else:
            request.attempts += 1
            request.save(update_fields=["attempts"])
    if not matches or request.status != GuardianStatus.CONFIRMED:
        raise AccountError("ID_MISMATCH", _("This is not the ID number the child entered."),
                           field="id_number")


# --- services that need profile fields ---------------------------------------------------

def missing_fields(account: Account, service: str) -> list[str]:
    return [field for field in registry.required(service) if not has_value(account, field)]


@transaction.atomic
def activate_service(*, account: Account, service: str) -> ServiceActivation:
    if not registry.exists(service):
        raise AccountError("SERVICE_UNKNOWN", _("There is no such service."), status=404)
    guard.check_open(function=service, error=AccountError)  # 410 once it has ended
    missing = missing_fields(account, service)
    if missing:
        raise AccountError("FIELDS_MISSING", _("Complete your profile to use this service."),
                           status=409, detail={"missing": missing})
    activation, created = ServiceActivation.objects.get_or_create(account=account,
                                                                  service=service)
    if created:
        audit.record(actor=actor_of(account), action="account.service_activated",
                     subject=account.subject, obj=activation, categories=["user.account.id"],
                     purpose="service.provision", legal_basis="contract",
                     detail={"service": service})
    return activation


# --- two-factor authentication, recovery codes, access tokens ----------------------------

@transaction.atomic
def start_totp(*, account: Account) -> str:
    """A new secret, kept in the vault and unused until ``enable_totp`` confirms a code."""
    if account.totp_enabled:
        raise AccountError("TOTP_ALREADY_ENABLED", _("Two-factor authentication is already on."),
                           status=409)
    secret = totp.new_secret()
    _put(actor=actor_of(account), subject=account.subject, field="totp_secret",
         value=secret, purpose="security")
    audit.record(actor=actor_of(account), action="account.totp_setup_started",
                 subject=account.subject, obj=account,
                 categories=["user.credentials.security_info"], purpose="security",
                 legal_basis="legal_obligation")
    return secret


def totp_uri(secret: str, account: Account) -> str:
    return totp.uri(secret, name=f"account-{str(account.subject_id)[:8]}")


def _new_recovery_codes(account: Account) -> list[str]:
    RecoveryCode.objects.filter(account=account).delete()
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _i in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(account=account, digest=_digest("recovery", code)) for code in codes)
    return codes


@transaction.atomic
def enable_totp(*, account: Account, code: str) -> list[str]:
    """Turn 2FA on with a first correct code; returns the recovery codes (shown once)."""
    if account.totp_enabled:
        raise AccountError("TOTP_ALREADY_ENABLED", _("Two-factor authentication is already on."),
                           status=409)
    secret = vault.reveal(actor=actor_of(account), subject=account.subject,
                          field="totp_secret", purpose="security")
    if not secret:
        raise AccountError("TOTP_NOT_STARTED", _("Start the set-up first."), status=409)
    code = "".join(str(code or "").split())
    if not (code.isdigit() and len(code) == 6 and _totp_ok(account, secret, code)):
        raise AccountError("OTP_INVALID", _("This authentication code is not right."),
                           field="otp")
    account.totp_enabled_at = timezone.now()
    account.save(update_fields=["totp_enabled_at"])
    codes = _new_recovery_codes(account)
    audit.record(actor=actor_of(account), action="account.totp_enabled",
                 subject=account.subject, obj=account,
                 categories=["user.credentials.security_info"], purpose="security",
                 legal_basis="legal_obligation")
    return codes


@transaction.atomic
def disable_totp(*, account: Account) -> None:
    if not account.totp_enabled:
        raise AccountError("TOTP_NOT_ENABLED", _("Two-factor authentication is off."),
                           status=409)
    vault.delete(actor=actor_of(account), subject=account.subject, field="totp_secret",
                 purpose="security")
    RecoveryCode.objects.filter(account=account).delete()
    account.totp_enabled_at = None
    account.save(update_fields=["totp_enabled_at"])
    audit.record(actor=actor_of(account), action="account.totp_disabled",
                 subject=account.subject, obj=account,
                 categories=["user.credentials.security_info"], purpose="security",
                 legal_basis="legal_obligation")


@transaction.atomic
def regenerate_recovery_codes(*, account: Account) -> list[str]:
    if not account.totp_enabled:
        raise AccountError("TOTP_NOT_ENABLED", _("Two-factor authentication is off."),
                           status=409)
    codes = _new_recovery_codes(account)
    audit.record(actor=actor_of(account), action="account.recovery_codes_renewed",
                 subject=account.subject, obj=account,
                 categories=["user.credentials.security_info"], purpose="security",
                 legal_basis="legal_obligation")
    return codes


@transaction.atomic
def create_token(*, account: Account, name: str) -> tuple[AccessToken, str]:
    """A personal access token; only its digest is kept, the token is shown once."""
    name = " ".join(str(name or "").split())
    if not name or len(name) > 60:
        raise AccountError("TOKEN_NAME_INVALID", _("Give the token a name of up to 60 "
                                                   "characters."), field="name")
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = AccessToken.objects.create(account=account, name=name, prefix=prefix,
                                       digest=hashlib.sha256(raw.encode()).hexdigest())
    audit.record(actor=actor_of(account), action="account.token_created",
                 subject=account.subject, obj=token, categories=["user.account.id"],
                 purpose="security", legal_basis="legal_obligation")
    return token, raw


@transaction.atomic
def revoke_token(*, account: Account, token_id: int) -> None:
    token = AccessToken.objects.filter(account=account, pk=token_id, revoked_at=None).first()
    if token is None:
        raise AccountError("NOT_FOUND", _("No such token."), status=404)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor_of(account), action="account.token_revoked",
                 subject=account.subject, obj=token, categories=["user.account.id"],
                 purpose="security", legal_basis="legal_obligation")


def token_owner(raw: str) -> AccessToken | None:
    """The live token for this bearer string, or None (constant-time on the secret)."""
    if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(TOKEN_PREFIX):].split("_", 1)[0]
    token = (AccessToken.objects.select_related("account__user", "account__subject")
             .filter(prefix=prefix, revoked_at=None).first())
    if token is None or not token.account.user.is_active or not hmac.compare_digest(
            token.digest, hashlib.sha256(raw.encode()).hexdigest()):
        return None
    return token


def mark_token_fresh(*, token: AccessToken) -> None:
    token.reauth_at = timezone.now()
    token.save(update_fields=["reauth_at"])



# --- retention ---------------------------------------------------------------------------

@transaction.atomic
def purge_stale(*, actor: Actor) -> dict[str, int]:
    """Delete what has outlived its use: codes after a day (catalog retention P1D), rate-limit
    events after their window, guardian requests a week after they closed or expired."""
    now = timezone.now()
    codes, _d = VerificationCode.objects.filter(
        created_at__lt=now - datetime.timedelta(days=1)).delete()
    longest = max(window for _limit, window in LIMITS.values())
    events, _d = ThrottleEvent.objects.filter(created_at__lt=now - longest).delete()
    guardian, _d = GuardianRequest.objects.filter(
        expires_at__lt=now - datetime.timedelta(days=7)).delete()
    counts = {"codes": codes, "throttle_events": events, "guardian_requests": guardian}
    audit.record(actor=actor, action="account.stale_purged",
                 categories=["user.credentials.verification_code"], purpose="security",
                 legal_basis="legal_obligation", detail=counts)
    return counts


def purge_unverified(*, actor: Actor) -> int:
    """Delete the accounts whose phone and e-mail both stayed unverified for a day: they may
    hold another person's number or address, and nobody proved they own either."""
    cutoff = timezone.now() - UNVERIFIED_TTL
    stale = Account.objects.filter(phone_verified_at=None, email_verified_at=None,
                                   created_at__lt=cutoff).values_list("pk", flat=True)
    return sum(delete_unverified_account(actor=actor, account_id=pk) for pk in list(stale))


@transaction.atomic
def delete_unverified_account(*, actor: Actor, account_id: int) -> bool:
    """Shred the vault values, mark the subject erased, and delete the account and its login.

    False when the account was bound or verified in the meantime (it is kept).
    """
    account = (Account.objects.select_for_update().select_related("subject", "user")
               .filter(pk=account_id, phone_verified_at=None, email_verified_at=None).first())
    if account is None:
        return False
    subject, avatar = account.subject, avatar_path(account)
    _end_sessions(account)
    audit.record(actor=actor, action="account.unverified_deleted", subject=subject,
                 obj=account, categories=["user.contact.phone", "user.contact.email",
                                          "user.credentials.password", "user.account.id"],
                 purpose="account.registration", legal_basis="contract",
                 detail={"reason": "phone and e-mail unverified after 24 hours"})
    vault.shred(actor=actor, subject=subject, reason="account never verified")
    if subject.status != SubjectStatus.ERASED:  # every other status may become erased
        change_status(actor=actor, subject=subject, status=SubjectStatus.ERASED,
                      reason="account never verified, deleted by the purge")
    account.user.delete()  # the account goes with its user (one-to-one, cascade)
    if avatar is not None:
        transaction.on_commit(lambda: avatar.unlink(missing_ok=True))
    return True
