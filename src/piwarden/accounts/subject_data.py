"""The accounts app in the subject-data registry: what an export shows, what an erasure does.

Exported: the profile's own columns, security settings without secrets (2FA on or off, token
names and dates, how many recovery codes are left; never digests or the TOTP secret), the
change history, guardian requests and service activations. Phone, e-mail, name, ID number and
address are in the vault and exported by the vault's source.

Erased (everything, or ``user.account``): sessions end, the avatar file goes, and the Django
user is deleted with the account and all its rows, so signing up again later with the same
phone number starts a fresh, empty account.
"""

import base64
from importlib import import_module

from django.conf import settings
from django.db import transaction

from piwarden.accounts import services
from piwarden.accounts.models import (
    AccessToken,
    Account,
    AccountSession,
    GuardianRequest,
    ProfileChange,
    RecoveryCode,
    ServiceActivation,
    VerificationCode,
)
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.consent.erasure import covered
from piwarden.subjects import registry
from piwarden.subjects.models import Subject
from piwarden.subjects.registry import iso

NAME = "accounts.account"
CATEGORIES = ("user.account.id", "user.account.username", "user.account.avatar",
              "user.credentials.security_info", "user.id_info", "user.minor")



def export(subject: Subject) -> dict[str, list[dict]]:
    account = Account.objects.filter(subject=subject).first()
    if account is None:
        return {"account": [], "security": [], "tokens": [], "changes": [],
                "guardian_requests": [], "services": []}
    path = services.avatar_path(account)
    avatar = (base64.b64encode(path.read_bytes()).decode()
              if path is not None and path.exists() else None)
    return {
        "account": [{
            "user_name": account.user_name, "id_type": account.id_type,
            "phone_verified_at": iso(account.phone_verified_at),
            "email_verified_at": iso(account.email_verified_at),
            "created_at": iso(account.created_at),
            "avatar_png_base64": avatar,
        }],
        "security": [{
            "two_factor_enabled": account.totp_enabled,
            "two_factor_enabled_at": iso(account.totp_enabled_at),
            "recovery_codes_left": RecoveryCode.objects.filter(
                account=account, used_at=None).count(),
            "active_sessions": AccountSession.objects.filter(account=account).count(),
            "last_login": iso(account.user.last_login),
        }],
        "tokens": [{"name": t.name, "created_at": iso(t.created_at),
                    "last_used_at": iso(t.last_used_at), "revoked_at": iso(t.revoked_at)}
                   for t in AccessToken.objects.filter(account=account).order_by("created_at")],
        "changes": [{"field": c.field, "channel": c.channel, "changed_at": iso(c.changed_at)}
                    for c in ProfileChange.objects.filter(account=account)],
        "guardian_requests": [
            {"service": g.service, "id_type": g.id_type, "status": g.status,
             "created_at": iso(g.created_at), "expires_at": iso(g.expires_at),
             "decided_at": iso(g.decided_at)}
            for g in GuardianRequest.objects.filter(account=account).order_by("created_at")],
        "services": [{"service": s.service, "activated_at": iso(s.activated_at)}
                     for s in ServiceActivation.objects.filter(account=account)
                     .order_by("activated_at")],
    }


def _end_sessions(account: Account) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(AccountSession.objects.filter(account=account)
                .values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    return len(keys)


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    account = Account.objects.select_related("user").filter(subject=subject).first()
    if account is None:
        return registry.Erased()
    if categories is None or covered("user.account.id", categories):
        return _delete_account(actor, account)
    return _clear_fields(actor, account, categories)


def _delete_account(actor: Actor, account: Account) -> registry.Erased:
    avatar = services.avatar_path(account)
    sessions = _end_sessions(account)
    rows = sum(model.objects.filter(account=account).count() for model in (
        AccessToken, AccountSession, GuardianRequest, ProfileChange, RecoveryCode,
        ServiceActivation, VerificationCode))
    audit.record(actor=actor, action="account.erased", subject=account.subject, obj=account,
                 categories=CATEGORIES, purpose="rights.requests",
                 legal_basis="legal_obligation",
                 detail={"sessions_ended": sessions, "rows": rows + 1})
    account.user.delete()  # the account and its rows go with the user (cascade)
    if avatar is not None:
        transaction.on_commit(lambda: avatar.unlink(missing_ok=True))
    return registry.Erased(erased=rows + 2)  # + the account and its login


def _clear_fields(actor: Actor, account: Account, categories: set[str]) -> registry.Erased:
    cleared = []
    if covered("user.account.username", categories) and account.user_name:
        account.user_name = ""
        cleared.append("user_name")
    if covered("user.account.avatar", categories) and account.avatar:
        avatar = services.avatar_path(account)
        account.avatar = ""
        cleared.append("avatar")
        transaction.on_commit(lambda: avatar.unlink(missing_ok=True))
    if covered("user.id_info", categories) and account.id_type:
        account.id_type = ""
        cleared.append("id_type")
    guardian, _n = (GuardianRequest.objects.filter(account=account).delete()
                    if covered("user.id_info", categories) else (0, None))
    if cleared:
        account.save(update_fields=cleared)
    if cleared or guardian:
        audit.record(actor=actor, action="account.fields_erased", subject=account.subject,
                     obj=account, categories=sorted(c for c in CATEGORIES
                                                    if covered(c, categories)),
                     purpose="rights.requests", legal_basis="legal_obligation",
                     detail={"fields": cleared, "guardian_requests": guardian})
    return registry.Erased(erased=guardian, anonymized=len(cleared))


def register() -> None:
    registry.register(registry.Source(
        name=NAME, categories=CATEGORIES, export=export, erase=erase,
        models=(Account, AccessToken, AccountSession, GuardianRequest, ProfileChange,
                RecoveryCode, ServiceActivation, VerificationCode), identifies=True))
