"""The only writers of roles: groups, the personnel registry, grants, break-glass, offboarding.

Rules (docs/staff.md): a role that reaches PI is granted only to a staff user whose
confidentiality agreement and training are recorded; a grant is approved by a privacy officer
who is not its holder (or by the operator's ``piwarden`` shell, ``Actor.system``, which is
how the first privacy officer is made); it expires after ``PIWARDEN_GRANT_DAYS``; its group
membership ends the moment it is revoked or expires.
"""

import hashlib
import os
from datetime import date, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from piwarden.alerts.services import raise_alert
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor, ActorKind
from piwarden.audit.models import Outcome
from piwarden.errors import ServiceError
from piwarden.roles import second_factor
from piwarden.roles.models import Grant, GrantKind, StaffMember, StaffSession
from piwarden.roles.registry import PRIVACY_OFFICER, ROLES, SECURITY_OFFICER
from piwarden.roles.selectors import has_role, held_roles
from piwarden.vault import envelope, files

FORMAT = b"\x01"


class GrantError(ServiceError):
    """A role grant, renewal, review or offboarding refused."""


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.filter(content_type__app_label=app_label,
                                               codename=codename).first()
        if permission is None:
            raise LookupError(f"no permission {name}")
        found.append(permission)
    return found


@transaction.atomic
def sync_groups(*, actor: Actor) -> int:
    """Create each role's group and set its permissions; returns how many roles."""
    for role in ROLES.values():
        group, _created = Group.objects.get_or_create(name=role.group_name)
        group.permissions.set(_permissions(role.permissions))
    audit.record(actor=actor, action="roles.groups_synced", detail={"roles": sorted(ROLES)})
    return len(ROLES)


# --- personnel registry ------------------------------------------------------------------

def _staff_user(actor: Actor):
    """The staff user behind ``actor``, or None for the operator's shell (a system actor)."""
    if actor.kind == ActorKind.SYSTEM:
        return None
    if actor.kind != ActorKind.STAFF:
        raise GrantError("STAFF_ONLY", _("Only staff manage roles."), status=403)
    return get_user_model().objects.get(pk=actor.id)


def require_officer(actor: Actor, *, not_user=None, also=()):
    """The acting privacy officer (or None for the operator's shell); refused otherwise,
    and refused when it is ``not_user`` (nobody approves their own access)."""
    user = _staff_user(actor)
    if user is None:
        return None
    if not any(has_role(user, key) for key in (PRIVACY_OFFICER, *also)):
        raise GrantError("PRIVACY_OFFICER_REQUIRED",
                         _("A privacy officer approves, renews and reviews access."), status=403)
    if not_user is not None and user.pk == not_user.pk:
        raise GrantError("OWN_ACCESS", _("Nobody approves or reviews their own access."),
                         status=403)
    return user


def _member(user) -> StaffMember:
    member, _created = StaffMember.objects.select_for_update().get_or_create(user=user)
    return member


def _check_date(value: date, field: str) -> None:
    if value > timezone.localdate():
        raise GrantError("DATE_IN_FUTURE", _("The date cannot be in the future."), field=field)


@sensitive_variables("data")
@transaction.atomic
def record_agreement(*, actor: Actor, user, signed_on: date, data: bytes) -> StaffMember:
    """Record a signed confidentiality agreement (PDF, JPEG or PNG, 10 MiB), sealed under a
    key of its own wrapped by the vault's master key; its SHA-256 is kept and audited."""
    require_officer(actor)
    _check_date(signed_on, "signed_on")
    try:
        _data, kind = files.check(ContentFile(data), files.SCANS)
    except files.FileRefused as refused:
        raise GrantError(refused.code, refused.message, field="document") from None
    member = _member(user)
    version, wrapped, aead = envelope.wrap_new_key(member.agreement_id)
    nonce = os.urandom(12)
    member.agreement = FORMAT + nonce + aead.encrypt(nonce, data, _aad(member))
    member.agreement_key, member.agreement_key_version = wrapped, version
    member.agreement_type, member.agreement_sha256 = kind, hashlib.sha256(data).hexdigest()
    member.agreement_signed_on, member.updated_at = signed_on, timezone.now()
    member.save()
    audit.record(actor=actor, action="roles.agreement_recorded", obj=member,
                 detail={"user": user.pk, "signed_on": signed_on.isoformat(),
                         "sha256": member.agreement_sha256, "type": kind})
    return member


def _aad(member: StaffMember) -> bytes:
    return f"piwarden.roles.agreement|{member.user_id}|{member.agreement_id}".encode()


@transaction.atomic
def open_agreement(*, actor: Actor, member: StaffMember) -> tuple[bytes, str]:
    """The signed agreement's bytes and type, for a privacy officer; every opening audited."""
    require_officer(actor)
    member = StaffMember.objects.get(pk=member.pk)
    if not member.agreement_sha256:
        raise GrantError("DOCUMENT_MISSING", _("No signed agreement was recorded."), status=404)
    sealed = bytes(member.agreement)
    aead = envelope.cipher(member.agreement_id, member.agreement_key_version,
                           bytes(member.agreement_key))
    data = aead.decrypt(sealed[1:13], sealed[13:], _aad(member))
    audit.record(actor=actor, action="roles.agreement_opened", obj=member,
                 detail={"user": member.user_id, "sha256": member.agreement_sha256})
    return data, member.agreement_type


@transaction.atomic
def record_training(*, actor: Actor, user, trained_on: date) -> StaffMember:
    require_officer(actor)
    _check_date(trained_on, "trained_on")
    member = _member(user)
    member.trained_on, member.updated_at = trained_on, timezone.now()
    member.save(update_fields=["trained_on", "updated_at"])
    audit.record(actor=actor, action="roles.training_recorded", obj=member,
                 detail={"user": user.pk, "trained_on": trained_on.isoformat()})
    return member


# --- grants ------------------------------------------------------------------------------

def _refuse(actor: Actor, user, key: str, code: str, message: str, status: int = 409):
    """Audit the refusal in a block of its own (it stays when the caller shows the error)
    and raise it."""
    with transaction.atomic():
        audit.record(actor=actor, action="roles.grant_refused", outcome=Outcome.DENIED,
                     detail={"user": user.pk, "role": key, "code": code})
    raise GrantError(code, message, status=status)


def _cleared(user) -> bool:
    member = StaffMember.objects.filter(user=user).first()
    return member is not None and member.cleared


def _apply(user, key: str) -> None:
    group, _created = Group.objects.get_or_create(name=ROLES[key].group_name)
    user.groups.add(group)


def _unapply(grants) -> int:
    """End the group membership of these grants (a list of applied ``Grant``s)."""
    for grant in grants:
        grant.user.groups.remove(*Group.objects.filter(name=ROLES[grant.key].group_name))
        grant.applied = False
        grant.save(update_fields=["applied", "revoked_at", "revoked_by"])
    return len(grants)


def grant_days() -> int:
    return int(getattr(settings, "PIWARDEN_GRANT_DAYS", 90))


def grant(*, actor: Actor, user, key: str, requested_by=None) -> Grant:
    """Give ``user`` the role ``key`` for ``PIWARDEN_GRANT_DAYS``, approved by ``actor`` (a
    privacy officer who is not ``user``, or the operator's shell). Refused, and the refusal
    audited, when the role reaches PI and the confidentiality agreement or training of
    ``user`` is not recorded, or when the role is already held."""
    if key not in ROLES:
        raise GrantError("ROLE_UNKNOWN", _("No role %(key)s.") % {"key": key})
    approver = require_officer(actor, not_user=user)
    if not user.is_active or not user.is_staff:
        _refuse(actor, user, key, "GRANT_REFUSED", _("Roles are granted to active staff only."))
    if ROLES[key].reaches_pi and not _cleared(user):
        _refuse(actor, user, key, "CONFIDENTIALITY_RECORD_MISSING",
                _("This role reaches personal information: record the signed "
                  "confidentiality agreement and the training date first."))
    with transaction.atomic():
        if Grant.objects.select_for_update().filter(user=user, key=key, applied=True).exists():
            raise GrantError("GRANT_EXISTS", _("The role is already held; renew that grant."),
                             status=409)
        now = timezone.now()
        made = Grant.objects.create(user=user, key=key, requested_by=requested_by or approver,
                                    approved_by=approver, starts_at=now,
                                    expires_at=now + timedelta(days=grant_days()))
        _apply(user, key)
        audit.record(actor=actor, action="roles.granted", obj=made,
                     detail={"user": user.pk, "role": key,
                             "expires_at": made.expires_at.isoformat()})
    return made


@transaction.atomic
def renew(*, actor: Actor, grant: Grant) -> Grant:
    """Extend an active normal grant by ``PIWARDEN_GRANT_DAYS`` from now: re-approval by a
    privacy officer who is not its holder, with the agreement and training still recorded."""
    grant = Grant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    approver = require_officer(actor, not_user=grant.user)
    if not grant.applied or grant.kind != GrantKind.NORMAL or grant.expires_at <= timezone.now():
        raise GrantError("GRANT_NOT_ACTIVE", _("Only an active, normal grant is "
                                               "renewed; grant the role again."), status=409)
    if ROLES[grant.key].reaches_pi and not _cleared(grant.user):
        raise GrantError("CONFIDENTIALITY_RECORD_MISSING", _(
            "Record the signed confidentiality agreement and training first."))
    grant.approved_by, grant.reminded_at = approver, None
    grant.expires_at = timezone.now() + timedelta(days=grant_days())
    grant.save(update_fields=["approved_by", "reminded_at", "expires_at"])
    audit.record(actor=actor, action="roles.grant_renewed", obj=grant,
                 detail={"user": grant.user_id, "role": grant.key,
                         "expires_at": grant.expires_at.isoformat()})
    return grant


def end_grants(actor: Actor, grants, by, why: str) -> int:
    now = timezone.now()
    for item in grants:
        item.revoked_at, item.revoked_by = now, by
    _unapply(grants)
    for item in grants:
        audit.record(actor=actor, action="roles.grant_revoked", obj=item,
                     detail={"user": item.user_id, "role": item.key, "why": why})
    return len(grants)


@transaction.atomic
def revoke(*, actor: Actor, grant: Grant, why: str = "revoked") -> None:
    """End a grant now (a privacy officer, or the operator's shell)."""
    by = require_officer(actor)
    grant = Grant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    if not grant.applied:
        raise GrantError("GRANT_NOT_ACTIVE", _("This grant has already ended."), status=409)
    end_grants(actor, [grant], by, why)


@transaction.atomic
def expire_due(*, actor: Actor, user=None) -> int:
    """End every applied grant past its expiry (of ``user`` only, when given)."""
    due = Grant.objects.select_for_update().select_related("user").filter(
        applied=True, expires_at__lte=timezone.now())
    if user is not None:
        due = due.filter(user=user)
    due = list(due)
    _unapply(due)
    for item in due:
        audit.record(actor=actor, action="roles.grant_expired", obj=item,
                     detail={"user": item.user_id, "role": item.key})
    return len(due)


@transaction.atomic
def reconcile(*, actor: Actor) -> int:
    """Group membership follows the active grants: remove members of role groups who hold
    no active grant of that role (added by hand, or before grants existed)."""
    removed = 0
    User = get_user_model()
    for role in ROLES.values():
        group = Group.objects.filter(name=role.group_name).first()
        if group is None:
            continue
        holders = Grant.objects.filter(key=role.key, applied=True).values("user_id")
        strays = list(User.objects.filter(groups=group).exclude(pk__in=holders))
        for user in strays:
            user.groups.remove(group)
            audit.record(actor=actor, action="roles.membership_removed",
                         detail={"user": user.pk, "role": role.key})
        removed += len(strays)
    return removed


def remind_days() -> int:
    return int(getattr(settings, "PIWARDEN_GRANT_REMIND_DAYS", 14))


@transaction.atomic
def remind_expiring(*, actor: Actor) -> int:
    """Alert privacy officers once per normal grant that expires within the reminder window."""
    soon = timezone.now() + timedelta(days=remind_days())
    due = list(Grant.objects.select_for_update().filter(
        applied=True, kind=GrantKind.NORMAL, reminded_at=None, expires_at__lte=soon))
    for item in due:
        raise_alert(kind="roles.grant_expiring", severity="medium", source="roles.remind",
                    summary=f"Role grant {item.pk} ({item.key}) expires on "
                            f"{timezone.localtime(item.expires_at):%Y-%m-%d}: renew or let "
                            f"it end.", objects=[item], actor=actor)
        item.reminded_at = timezone.now()
        item.save(update_fields=["reminded_at"])
    return len(due)


# --- break-glass -------------------------------------------------------------------------

# Approvals must stay with people granted them by others (a break-glass privacy officer could
# approve unmaskings, exports and grants); the security officer stays open for incidents.
NO_BREAK_GLASS = frozenset({PRIVACY_OFFICER, "administrator"})


def break_glass_minutes() -> int:
    return int(getattr(settings, "PIWARDEN_BREAK_GLASS_MINUTES", 60))


def break_glass(*, actor: Actor, key: str, reason: str) -> Grant:
    """Emergency access: a staff member holding no role takes ``key`` for
    ``PIWARDEN_BREAK_GLASS_MINUTES`` with a typed reason; security staff are alerted at
    once and the grant stays to review."""
    user = _staff_user(actor)
    reason = (reason or "").strip()
    if user is None:
        raise GrantError("STAFF_ONLY", _("Break-glass access is taken by a staff member."),
                         status=403)
    if key not in ROLES:
        raise GrantError("ROLE_UNKNOWN", _("No role %(key)s.") % {"key": key})
    if len(reason) < 10:
        raise GrantError("REASON_REQUIRED", _("Type why you need emergency access."),
                         field="reason")
    if key in NO_BREAK_GLASS:
        _refuse(actor, user, key, "BREAK_GLASS_REFUSED",
                _("Roles that approve or administer are never taken by break-glass."),
                status=403)
    if Grant.objects.filter(user=user, kind=GrantKind.BREAK_GLASS,
                            reviewed_at__isnull=True).exists():
        _refuse(actor, user, key, "BREAK_GLASS_REFUSED",
                _("Your last break-glass access has not been reviewed yet."), status=403)
    if ROLES[key].unmasks and not second_factor.enrolled(user):
        _refuse(actor, user, key, "SECOND_FACTOR_REQUIRED",
                _("This role unmasks personal information: set up your authenticator first."),
                status=403)
    if held_roles(user) or Grant.objects.filter(user=user, applied=True).exists():
        _refuse(actor, user, key, "BREAK_GLASS_REFUSED",
                _("Break-glass is for staff who hold no role."), status=403)
    if not user.is_staff or not _cleared(user):
        _refuse(actor, user, key, "CONFIDENTIALITY_RECORD_MISSING",
                _("Break-glass needs a recorded confidentiality agreement and training."))
    with transaction.atomic():
        now = timezone.now()
        made = Grant.objects.create(user=user, key=key, kind=GrantKind.BREAK_GLASS,
                                    reason=reason[:300], requested_by=user, starts_at=now,
                                    expires_at=now + timedelta(minutes=break_glass_minutes()))
        _apply(user, key)
        audit.record(actor=actor, action="roles.break_glass", obj=made,
                     detail={"user": user.pk, "role": key,
                             "expires_at": made.expires_at.isoformat()})
        raise_alert(kind="roles.break_glass", severity="high", source="roles.break_glass",
                    summary=f"Break-glass: staff user {user.pk} took the role {key} until "
                            f"{timezone.localtime(made.expires_at):%Y-%m-%d %H:%M}; review it.",
                    objects=[made], actor=actor)
    return made


@transaction.atomic
def review_break_glass(*, actor: Actor, grant: Grant, revoke_now: bool = False) -> Grant:
    """A privacy or security officer, not its holder, reviews a break-glass grant after the
    fact (and may end it at once)."""
    grant = Grant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    reviewer = _staff_user(actor)
    if reviewer is None:
        raise GrantError("STAFF_ONLY", _("A privacy or security officer reviews break-glass."),
                         status=403)
    require_officer(actor, not_user=grant.user, also=(SECURITY_OFFICER,))
    if grant.kind != GrantKind.BREAK_GLASS or grant.reviewed_at is not None:
        raise GrantError("NOTHING_TO_REVIEW", _("This grant is not a break-glass grant to review."),
                         status=409)
    grant.reviewed_by, grant.reviewed_at = reviewer, timezone.now()
    grant.save(update_fields=["reviewed_by", "reviewed_at"])
    audit.record(actor=actor, action="roles.break_glass_reviewed", obj=grant,
                 detail={"user": grant.user_id, "role": grant.key, "revoked": revoke_now})
    if revoke_now and grant.applied:
        end_grants(actor, [grant], reviewer, "break_glass_review")
    return grant


# --- sessions and offboarding ------------------------------------------------------------

def remember_session(*, user, session_key: str) -> None:
    """Note a staff login's session (not PI, not audited: the login itself is)."""
    if session_key:
        StaffSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def _end_sessions(user) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = StaffSession.objects.filter(user=user)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    return len(keys)


def _clients_created_by(user):
    """API clients have no owner column: the ones this user created, from the audit trail."""
    from piwarden.audit.models import AuditEvent
    from piwarden.clients.models import ApiClient

    ids = AuditEvent.objects.filter(actor_kind=ActorKind.STAFF, actor_id=str(user.pk),
                                    action="api_client.created").values_list("object_id",
                                                                              flat=True)
    return list(ApiClient.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()],
                                         is_active=True))


@transaction.atomic
def offboard(*, actor: Actor, user, reason: str) -> dict:
    """Someone leaves: every grant revoked, every session ended, the API clients they created
    revoked, the account deactivated. The reason is required but not kept in the audit
    trail (free text may name people); the record says what ended."""
    from piwarden.clients import services as clients

    by = require_officer(actor, not_user=user, also=(SECURITY_OFFICER,))
    if not (reason or "").strip():
        raise GrantError("REASON_REQUIRED", _("Give the reason for offboarding."), field="reason")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    grants = list(Grant.objects.select_for_update().select_related("user")
                  .filter(user=user, applied=True))
    revoked = end_grants(actor, grants, by, "offboarded")
    api_clients = _clients_created_by(user)
    for client in api_clients:
        clients.revoke_client(actor=actor, client=client)
    user.groups.remove(*Group.objects.filter(name__startswith="role:"))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = _end_sessions(user)
    done = {"grants": revoked, "sessions": ended, "api_clients": len(api_clients)}
    audit.record(actor=actor, action="roles.offboarded",
                 detail={"user": user.pk, **done})
    return done

