"""The staff console's second factor: a TOTP authenticator per staff member.

Required for superusers and for anyone holding a role that unmasks PI (``Role.unmasks``);
offered to every other staff member. The code is checked by the same TOTP code as the
person's (``accounts.totp``), and a used time step is never accepted again. The secret is
sealed under a data key of its own (the outbox's scheme: staff are no data subjects, so not
the vault's per-person keys). Enrolment, use and reset are audited.
"""

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from piwarden.accounts import totp
from piwarden.accounts.models import StaffSecondFactor
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.roles.registry import ROLES
from piwarden.roles.selectors import held_roles
from piwarden.vault import crypto, envelope

FIELD = "staff.totp_secret"
DATA_KEY_VERSION = 1


def required_for(user) -> bool:
    """Superusers and holders of a role that unmasks need a second factor."""
    return bool(user.is_superuser or any(ROLES[key].unmasks for key in held_roles(user)))


def enrolled(user) -> bool:
    return StaffSecondFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def missing(user) -> bool:
    """The user's roles need a second factor they have not set up (checked again where PI is
    unmasked, so a role granted during a session cannot unmask before enrolment)."""
    return required_for(user) and not enrolled(user)


@sensitive_variables("secret")
def _secret(row: StaffSecondFactor) -> str:
    aead = envelope.cipher(row.id, row.key_version, bytes(row.wrapped_key))
    return envelope.open_with(aead, subject_id=row.id, field=FIELD,
                              ciphertext=bytes(row.sealed), key_version=DATA_KEY_VERSION)


@sensitive_variables("secret")
@transaction.atomic
def start_enrolment(*, user) -> str:
    """A fresh secret, kept sealed and unused until ``confirm_enrolment`` sees a code made
    from it. Each call replaces an unconfirmed secret, so each secret is shown only once."""
    if enrolled(user):
        raise ValueError("already enrolled: an administrator resets it first")
    StaffSecondFactor.objects.filter(user=user).delete()
    row = StaffSecondFactor(user=user)
    secret = totp.new_secret()
    version, wrapped, aead = envelope.wrap_new_key(row.id)
    row.sealed = crypto.seal(aead, secret, crypto.value_aad(row.id, FIELD, DATA_KEY_VERSION))
    row.wrapped_key, row.key_version = wrapped, version
    row.save()
    return secret


def uri(secret: str, user) -> str:
    return totp.uri(secret, name=f"staff-{user.get_username()}")


def _accept(row: StaffSecondFactor, code: str) -> bool:
    step = totp.matching_step(_secret(row), "".join(str(code or "").split()),
                              after=row.last_step)
    if step is None:
        return False
    row.last_step = step
    row.save(update_fields=["last_step"])
    return True


@sensitive_variables("code")
@transaction.atomic
def confirm_enrolment(*, user, code: str) -> bool:
    """Turn the second factor on with a first correct code (audited ``staff.totp_enrolled``)."""
    row = (StaffSecondFactor.objects.select_for_update()
           .filter(user=user, confirmed_at__isnull=True).first())
    if row is None or not _accept(row, code):
        return False
    row.confirmed_at = timezone.now()
    row.save(update_fields=["confirmed_at"])
    audit.record(actor=Actor.staff(user), action="staff.totp_enrolled", obj=row,
                 purpose="security")
    return True


@sensitive_variables("code")
def check(user, code: str) -> bool:
    """A code of the enrolled authenticator, not used before. The caller's transaction holds
    the row lock, so two requests with one code cannot both pass."""
    row = (StaffSecondFactor.objects.select_for_update()
           .filter(user=user, confirmed_at__isnull=False).first())
    return row is not None and _accept(row, code)


@transaction.atomic
def reset(*, actor: Actor, user) -> bool:
    """Recovery: an administrator removes a staff member's authenticator; they enrol a new
    one at their next sign-in. Audited ``staff.totp_reset``."""
    deleted, _rows = StaffSecondFactor.objects.filter(user=user).delete()
    if deleted:
        audit.record(actor=actor, action="staff.totp_reset", purpose="security",
                     detail={"staff_user": user.pk})
    return bool(deleted)
