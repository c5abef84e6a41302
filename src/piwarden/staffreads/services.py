"""Staff reads of PI in the console: the purpose gate (Z-1) and just-in-time unmasking (D-1.3).

A console page that shows PI names the catalog categories it shows; the staff member states a
purpose; the read is refused (and the refusal audited) unless one of their roles holds that
purpose and the catalog lets it process those categories. People whose consent does not cover
the purpose are left out, and each page read is one audit record naming everyone shown.
"""

import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.catalog.models import DataCategory, Grade, Purpose
from piwarden.consent import decisions
from piwarden.roles.registry import PRIVACY_OFFICER, ROLES
from piwarden.roles.selectors import has_role, held_roles, purposes_of
from piwarden.staffreads.models import UnmaskRequest, UnmaskStatus
from piwarden.vault import selectors as catalog

PURPOSE_NOT_PERMITTED = "PURPOSE_NOT_PERMITTED"
PURPOSE_NOT_HELD = "PURPOSE_NOT_HELD"
NO_UNMASK_ROLE = "NO_UNMASK_ROLE"
SELF_APPROVAL = "SELF_APPROVAL"
NOT_PRIVACY_OFFICER = "NOT_PRIVACY_OFFICER"
NOT_PENDING = "NOT_PENDING"

EXPLANATIONS = {
    PURPOSE_NOT_PERMITTED: _("The data catalog does not let this purpose process the data "
                             "shown here."),
    PURPOSE_NOT_HELD: _("None of your roles may process personal information for this "
                        "purpose. Ask a privacy officer for a role that covers it."),
    NO_UNMASK_ROLE: _("None of your roles may see sensitive personal information in full."),
    SELF_APPROVAL: _("You cannot approve your own request: a second person must."),
    NOT_PRIVACY_OFFICER: _("Only a privacy officer may approve or deny this request."),
    NOT_PENDING: _("This request has already been decided."),
}


class ReadRefused(Exception):
    """``code`` is a machine code (a key of EXPLANATIONS or a consent decision reason)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def explanation(self) -> str:
        return str(EXPLANATIONS.get(self.code, _(
            "The person's consent or the law does not allow this purpose.")))


# --- the purpose gate -------------------------------------------------------------------

_PURPOSES_FOR: dict[tuple[str, ...], tuple[int, list[Purpose]]] = {}


def purposes_for(categories: Iterable[str]) -> list[Purpose]:
    """Purposes a page of these categories may be read for, in catalog order. Purposes that
    cover all PI (authorities, a merger) arise through their own workflows, not a list page.
    Kept per process while the catalog's freshness token is unchanged (docs/caches.md)."""
    from piwarden.caches import freshness

    categories = tuple(categories)
    token = freshness.token(freshness.CATALOG)
    cached = _PURPOSES_FOR.get(categories)
    if cached is not None and cached[0] == token:
        return cached[1]
    found = _purposes_for(categories)
    _PURPOSES_FOR[categories] = (token, found)
    return found


def _purposes_for(categories: tuple[str, ...]) -> list[Purpose]:
    keys = None
    for category in categories:
        covering = {p.key for p in catalog.purposes_covering(category)}
        keys = covering if keys is None else keys & covering
    return [p for p in Purpose.objects.filter(key__in=keys or (), retired=False)
            if not catalog.covers_all_pi(p)]


def localized(purpose: Purpose) -> str:
    """The purpose's name in the page's language."""
    return purpose.name_zh if (get_language() or "").startswith("zh") else purpose.name_en


def holds_purpose(user, purpose: str) -> bool:
    """A superuser holds every purpose (they still state one, and consent still applies)."""
    return bool(user.is_active and (user.is_superuser or purpose in purposes_of(user)))


def held_purposes(user) -> frozenset[str] | None:
    """The purposes ``user`` may read for; None for a superuser (every purpose)."""
    return None if user.is_superuser else purposes_of(user)


def _known_purpose(purpose: str) -> bool:
    return Purpose.objects.filter(key=purpose, retired=False).exists()


def _refuse(*, user, action: str, code: str, purpose: str, categories, detail: dict,
            subject=None) -> None:
    """Audit a refusal in its own transaction (it stays when the page answers 403)."""
    known = _known_purpose(purpose)
    with transaction.atomic():
        audit.record(actor=Actor.staff(user), action=action, subject=subject,
                     categories=categories, purpose=purpose if known else "",
                     outcome=Outcome.DENIED,
                     detail={**detail, "refusal": code,
                             **({} if known else {"purpose_asked": purpose[:64]})})
    raise ReadRefused(code)


def check_read(*, user, purpose: str, categories: tuple[str, ...], label: str) -> None:
    """Raise ReadRefused (audited) unless ``user`` may read ``categories`` for ``purpose``."""
    if purpose not in {p.key for p in purposes_for(categories)}:
        code = PURPOSE_NOT_PERMITTED
    elif not holds_purpose(user, purpose):
        code = PURPOSE_NOT_HELD
    else:
        return
    _refuse(user=user, action="staff.read_refused", code=code, purpose=purpose,
            categories=categories, detail={"model": label})


def visible(subject_ids: Iterable[uuid.UUID], purpose: str,
            categories: tuple[str, ...]) -> set[uuid.UUID]:
    """The people whose consent (or another basis) lets ``purpose`` process ``categories``."""
    answers = decisions.decide_many(set(subject_ids), purpose, categories)
    return {subject_id for subject_id, decision in answers.items() if decision.allowed}


def check_person(*, user, subject, purpose: str, categories: tuple[str, ...],
                 label: str) -> None:
    """A detail page: refused (audited) when the person's consent does not cover the purpose."""
    decision = decisions.decide(subject.pk, purpose, categories)
    if not decision.allowed:
        _refuse(user=user, action="staff.read_refused", code=decision.reason, purpose=purpose,
                categories=categories, detail={"model": label}, subject=subject)


def record_read(*, user, purpose: str, categories: tuple[str, ...], subject_ids,
                label: str, hidden: int = 0) -> None:
    """One audit record for one page read, naming every person shown on it."""
    audit.record_read(actor=Actor.staff(user), action="staff.read", subjects=subject_ids,
                      categories=categories, purpose=purpose,
                      detail={"model": label, "hidden": hidden})


def purpose_minutes() -> int:
    return settings.PIWARDEN_READ_PURPOSE_MINUTES


# --- just-in-time unmasking -------------------------------------------------------------

def unmask_minutes() -> int:
    return settings.PIWARDEN_UNMASK_MINUTES


def sensitive_category(category: str) -> DataCategory | None:
    """The catalog row when ``category`` is graded sensitive (grade and ``second_approver``
    are inherited by the loader), else None."""
    return DataCategory.objects.filter(key=category, grade=Grade.SENSITIVE).first()


def may_unmask(user) -> bool:
    return any(ROLES[key].unmasks for key in held_roles(user))


def request_unmask(*, user, subject, field: str, category: DataCategory, purpose: str,
                   reason: str) -> UnmaskRequest:
    """Ask to see one sensitive value in full. Approved at once (window starts now) unless
    the category needs a second approver. Refused (audited) without an unmasking role, a
    purpose the role holds and the catalog allows, or the person's consent for it."""
    categories = [category.key]
    detail = {"field": field, "reason": reason}
    code = ""
    if not may_unmask(user):
        code = NO_UNMASK_ROLE
    elif not (_known_purpose(purpose) and catalog.purpose_covers(purpose, category.key)):
        code = PURPOSE_NOT_PERMITTED
    elif not holds_purpose(user, purpose):
        code = PURPOSE_NOT_HELD
    else:
        decision = decisions.decide(subject.pk, purpose, categories)
        code = "" if decision.allowed else decision.reason
    if code:
        _refuse(user=user, action="staff.unmask_refused", code=code, purpose=purpose,
                categories=categories, detail=detail, subject=subject)
    return _create_request(user=user, subject=subject, field=field, category=category,
                           purpose=purpose, reason=reason)


@transaction.atomic
def _create_request(*, user, subject, field, category, purpose, reason) -> UnmaskRequest:
    now = timezone.now()
    second = category.second_approver
    unmask = UnmaskRequest.objects.create(
        requester=user, subject=subject, field=field, category=category.key, purpose=purpose,
        reason=reason, needs_second_approver=second,
        status=UnmaskStatus.PENDING if second else UnmaskStatus.APPROVED,
        decided_at=None if second else now,
        expires_at=None if second else now + timedelta(minutes=unmask_minutes()))
    audit.record(actor=Actor.staff(user), action="staff.unmask_requested", subject=subject,
                 obj=unmask, categories=[category.key], purpose=purpose,
                 detail={"field": field, "reason": reason, "second_approver": second})
    return unmask


def decide_unmask(*, user, unmask: UnmaskRequest, approve: bool) -> UnmaskRequest:
    """A privacy officer other than the requester approves (the window starts) or denies."""
    code = ""
    if unmask.requester_id == user.pk:
        code = SELF_APPROVAL
    elif not has_role(user, PRIVACY_OFFICER):
        code = NOT_PRIVACY_OFFICER
    if code:
        _refuse(user=user, action="staff.unmask_decision_refused", code=code,
                purpose=unmask.purpose, categories=[unmask.category],
                detail={"request": unmask.pk}, subject=unmask.subject)
    return _decide(user=user, pk=unmask.pk, approve=approve)


@transaction.atomic
def _decide(*, user, pk: int, approve: bool) -> UnmaskRequest:
    unmask = UnmaskRequest.objects.select_for_update().select_related("subject").get(pk=pk)
    if unmask.status != UnmaskStatus.PENDING:
        raise ReadRefused(NOT_PENDING)
    now = timezone.now()
    unmask.status = UnmaskStatus.APPROVED if approve else UnmaskStatus.DENIED
    unmask.approver, unmask.decided_at = user, now
    unmask.expires_at = now + timedelta(minutes=unmask_minutes()) if approve else None
    unmask.save(update_fields=["status", "approver", "decided_at", "expires_at"])
    audit.record(actor=Actor.staff(user), action=f"staff.unmask_{unmask.status}",
                 subject=unmask.subject, obj=unmask, categories=[unmask.category],
                 purpose=unmask.purpose, detail={"field": unmask.field,
                                                 "requester": str(unmask.requester_id)})
    return unmask


def active_unmask(*, user, subject, field: str) -> UnmaskRequest | None:
    """The user's approved request for this value whose window is still open."""
    return (UnmaskRequest.objects.filter(requester=user, subject=subject, field=field,
                                         status=UnmaskStatus.APPROVED,
                                         expires_at__gt=timezone.now())
            .order_by("-expires_at").first())


def pending_unmask(*, user, subject, field: str) -> UnmaskRequest | None:
    return UnmaskRequest.objects.filter(requester=user, subject=subject, field=field,
                                        status=UnmaskStatus.PENDING).order_by("-pk").first()
