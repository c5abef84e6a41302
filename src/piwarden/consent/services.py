"""Writers of the consent ledger: grants, refusals, withdrawals, visitors and exceptions.

Each choice is one immutable ``ConsentEvent`` plus the derived ``ConsentState``, written with its
audit record in one transaction. A withdrawal is accepted from anyone in any state; where the
consent was the only basis for some data, that data is scheduled for erasure (PIPL Art. 47).
"""

import hashlib
import ipaddress
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.context import request_id_var
from piwarden.catalog import selectors as catalog
from piwarden.consent import decisions, notices
from piwarden.consent.models import (
    BasisException,
    Channel,
    Choice,
    ConsentEvent,
    ConsentState,
    ErasureStatus,
    Notice,
    ScheduledErasure,
    Scope,
    Visitor,
)
from piwarden.subjects import freshness
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.subjects.services import create_subject

_ACTIONS = {Choice.GRANT: "consent.granted", Choice.REFUSE: "consent.refused",
            Choice.WITHDRAW: "consent.withdrawn"}
_LEDGER = {"categories": ["user.consent"], "purpose": "consent.management",
           "legal_basis": "legal_obligation"}


class ConsentError(ValueError):
    """A choice the ledger refuses to record; ``code`` is the API's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def truncate_ip(ip: str | None) -> str:
    """Keep the network only (/24 for IPv4, /48 for IPv6): enough for evidence, not a person."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def policy_version() -> str:
    """The version of the privacy policy the loaded catalog implements."""
    return decisions.rules().policy_version


def _notice(text: str) -> Notice:
    digest = hashlib.sha256(text.encode()).hexdigest()
    notice, _ = Notice.objects.get_or_create(sha256=digest, defaults={"text": text})
    return notice


def applicable_scopes(purpose: str) -> tuple[str, ...]:
    """The scopes a person can choose for a purpose: its own, plus separate consent for
    sensitive categories where the purpose processes any."""
    rule = decisions.rules().purposes.get(purpose)
    if rule is None:
        raise ConsentError("UNKNOWN_PURPOSE", f"There is no purpose '{purpose}'.")
    return tuple(scope for _, scope in (rule.needs_sensitive if rule.sensitive else rule.needs))


def check_choice(*, subject: Subject, purpose: str, choice: Choice, scope: str,
                 notice_text: str, channel: Channel, bundled: bool = False,
                 evidence=None) -> None:
    """Raise ConsentError when the ledger would refuse this choice (forms call it too)."""
    if scope not in applicable_scopes(purpose):
        raise ConsentError("SCOPE_NOT_APPLICABLE",
                           f"Purpose '{purpose}' takes no consent of scope '{scope}'.")
    if bundled and choice == Choice.GRANT and scope != Scope.GENERAL:
        raise ConsentError("SEPARATE_CONSENT_NOT_BUNDLED",
                           "Separate consent needs its own explicit action.")
    if choice != Choice.WITHDRAW and subject.status != SubjectStatus.ACTIVE:
        raise ConsentError("SUBJECT_INACTIVE", "This person's data is no longer processed.")
    if not notice_text.strip():
        raise ConsentError("NOTICE_REQUIRED", "The notice text shown must be recorded.")
    if channel == Channel.OFFLINE and choice == Choice.GRANT and not evidence:
        raise ConsentError("EVIDENCE_REQUIRED", "Offline consent needs the scanned form.")


def record(
    *,
    actor: Actor,
    subject: Subject,
    purpose: str,
    choice: Choice,
    scope: str = Scope.GENERAL,
    notice_text: str,
    channel: Channel,
    ip: str | None = None,
    user_agent: str = "",
    bundled: bool = False,
    evidence=None,
    carried_from: ConsentEvent | None = None,
) -> ConsentEvent:
    """Record one choice. Separate consent is never granted through a bundled control.

    The checks and the notice (stored once per distinct text, never changed) come before the
    transaction, so that it holds the write lock only for the ledger rows and the audit record.
    """
    choice, scope = Choice(choice), _scope(scope)
    check_choice(subject=subject, purpose=purpose, choice=choice, scope=scope,
                 notice_text=notice_text, channel=channel, bundled=bundled, evidence=evidence)
    event = ConsentEvent(
        subject=subject, purpose=purpose, scope=scope, choice=choice, bundled=bundled,
        policy_version=policy_version(), notice=_notice(notice_text), channel=Channel(channel),
        ip_prefix=truncate_ip(ip), user_agent=user_agent[:300], actor_kind=actor.kind,
        actor_id=actor.id, request_id=request_id_var.get() or "", carried_from=carried_from,
    )
    if evidence:
        event.evidence.save(evidence.name, evidence, save=False)
    return _append(actor=actor, subject=subject, event=event)


@transaction.atomic
def _append(*, actor: Actor, subject: Subject, event: ConsentEvent) -> ConsentEvent:
    """Write the event, its derived state, the erasure bookkeeping and the audit record."""
    purpose, scope, choice = event.purpose, event.scope, event.choice
    previous = ConsentState.objects.filter(subject=subject, purpose=purpose, scope=scope
                                           ).values_list("choice", flat=True).first()
    event.save()
    ConsentState.objects.bulk_create(  # one upsert statement
        [ConsentState(subject=subject, purpose=purpose, scope=scope, choice=choice,
                      policy_version=event.policy_version, changed_at=event.occurred_at,
                      event=event)],
        update_conflicts=True, unique_fields=["subject", "purpose", "scope"],
        update_fields=["choice", "policy_version", "changed_at", "event"],
    )
    freshness.subject_changed(subject.pk)
    detail = {"purpose": purpose, "scope": scope, "channel": event.channel,
              "policy_version": event.policy_version, "bundled": event.bundled}
    event.erasure = None  # set when this withdrawal schedules an erasure, to tell the person
    if choice == Choice.WITHDRAW or (choice == Choice.REFUSE and previous == Choice.GRANT):
        event.erasure = _schedule_erasure(subject, purpose, event)
        if event.erasure:
            detail["erasure_due"] = event.erasure.due_at.date().isoformat()
    elif choice == Choice.GRANT and previous in (Choice.WITHDRAW, Choice.REFUSE):
        ScheduledErasure.objects.filter(
            subject=subject, purpose=purpose, status=ErasureStatus.PENDING,
        ).update(status=ErasureStatus.CANCELLED, done_at=timezone.now())
    audit.record(actor=actor, action=_ACTIONS[choice], subject=subject, obj=event,
                 detail=detail, **_LEDGER)
    return event


def _scope(scope: str) -> str:
    try:
        return Scope(scope).value
    except ValueError:
        raise ConsentError("UNKNOWN_SCOPE", f"There is no consent scope '{scope}'.") from None


def grant(**kwargs) -> ConsentEvent:
    return record(choice=Choice.GRANT, **kwargs)


def refuse(**kwargs) -> ConsentEvent:
    return record(choice=Choice.REFUSE, **kwargs)


def withdraw(**kwargs) -> ConsentEvent:
    return record(choice=Choice.WITHDRAW, **kwargs)


def _schedule_erasure(subject: Subject, purpose: str, event: ConsentEvent):
    """Schedule erasure of the categories that only this purpose's consent covered.

    The categories that another purpose concerning this kind of person lets us keep stay; the
    rest of what the withdrawn purpose declares is due for erasure.
    """
    if not settings.PIWARDEN_ERASE_ON_WITHDRAWAL:
        return None
    catalog_rules = decisions.rules()
    now_decided = decisions.decide_all(subject.pk)
    still_covered: set[str] = set()
    for other in catalog_rules.purposes.values():
        if other.key != purpose and subject.kind in other.subject_kinds and \
                _keeps_data(subject, other, now_decided[other.key]):
            still_covered |= other.declared
    rule = catalog_rules.purposes[purpose]
    # Withdrawing the separate consent for sensitive PI leaves the purpose's other data alone.
    held = rule.sensitive if event.scope == Scope.SENSITIVE else rule.declared
    orphaned = sorted(held - still_covered)
    if not orphaned:
        return None
    due = event.occurred_at + timedelta(days=settings.PIWARDEN_WITHDRAWAL_ERASURE_DAYS)
    erasure, _ = ScheduledErasure.objects.update_or_create(
        subject=subject, purpose=purpose, status=ErasureStatus.PENDING,
        defaults={"categories": orphaned, "withdrawal": event, "due_at": due},
    )
    transaction.on_commit(lambda: _enqueue_erasure(due))
    return erasure


def _enqueue_erasure(due) -> None:
    from piwarden.consent.tasks import run_due_erasures

    run_due_erasures.using(run_after=due).enqueue()


def _keeps_data(subject: Subject, rule: decisions.PurposeRule,
                decision: decisions.Decision) -> bool:
    """Whether a purpose is a standing reason to keep data: another consent or a recorded
    exception, a contract (only account holders have one), or a duty to retain records
    (the catalog's ``retention.*`` purposes). Duties that arise on demand, such as answering
    authorities or notifying incidents, are no reason to keep anything."""
    if not decision.allowed:
        return False
    if decision.reason in ("consent_granted", "exception_recorded"):
        return True
    if decision.legal_basis == "contract":
        return subject.kind == SubjectKind.ACCOUNT_HOLDER
    return rule.key.startswith("retention.")


@transaction.atomic
def visitor_subject(*, actor: Actor, visitor_id: uuid.UUID) -> Subject:
    """The subject behind an anonymous browser's random id, created at its first choice."""
    visitor = Visitor.objects.select_related("subject").filter(visitor_id=visitor_id).first()
    if visitor is not None:
        return visitor.subject
    try:
        with transaction.atomic():
            subject = create_subject(actor=actor, kind=SubjectKind.VISITOR)
            Visitor.objects.create(visitor_id=visitor_id, subject=subject)
            return subject
    except IntegrityError:  # the same browser's other request created it just now
        return Visitor.objects.select_related("subject").get(visitor_id=visitor_id).subject


def link_browser(*, request, subject: Subject) -> int:
    """At sign-in: carry the choices of this browser's cookie banner over to the account."""
    from piwarden.consent.selectors import visitor_id

    found = visitor_id(request)
    if found is None:
        return 0
    return link_visitor(actor=Actor.person(subject), visitor_id=found, subject=subject)


@transaction.atomic
def link_visitor(*, actor: Actor, visitor_id: uuid.UUID, subject: Subject) -> int:
    """Carry a browser's cookie choices over to the account that just signed in.

    A choice is carried only when it is newer than the account's own for that purpose and
    scope. Separate consent is never carried: the account holder gives it themselves. A browser
    already linked to another account carries nothing (a shared computer), and a choice the
    ledger would refuse for this account (say, it is restricted) is left behind.
    Returns how many choices were carried.
    """
    visitor = Visitor.objects.select_for_update().filter(visitor_id=visitor_id).first()
    if visitor is None or (visitor.linked_to_id not in (None, subject.pk)):
        return 0
    own = {(s.purpose, s.scope): s.changed_at for s in subject.consent_states.all()}
    carried = 0
    for state in visitor.subject.consent_states.filter(scope=Scope.GENERAL).select_related(
            "event__notice"):
        mine = own.get((state.purpose, state.scope))
        if mine is not None and mine >= state.changed_at:
            continue
        source = state.event
        try:
            record(actor=actor, subject=subject, purpose=state.purpose, choice=state.choice,
                   scope=state.scope, notice_text=source.notice.text,
                   channel=Channel.VISITOR_LINK, bundled=source.bundled, carried_from=source)
        except ConsentError:  # refused before anything was written
            continue
        carried += 1
    visitor.linked_to = subject
    visitor.save(update_fields=["linked_to"])
    audit.record(actor=actor, action="consent.visitor_linked", subject=subject, obj=visitor,
                 detail={"carried": carried}, **_LEDGER)
    return carried


def check_exception(*, purpose: str, legal_basis: str, reason: str, expires_at) -> None:
    """Raise ConsentError when an exception record would be refused (forms call it too)."""
    if not legal_basis.startswith("exception.") or catalog.unknown_keys(
            legal_bases=[legal_basis], purposes=[purpose]):
        raise ConsentError("UNKNOWN_EXCEPTION",
                           "Name a catalogued purpose and one of the exception.* legal bases.")
    if not reason.strip():
        raise ConsentError("REASON_REQUIRED", "Say why the exception applies.")
    if expires_at <= timezone.now():
        raise ConsentError("EXPIRED", "The exception must end in the future.")


@transaction.atomic
def record_exception(
    *, actor: Actor, subject: Subject, purpose: str, legal_basis: str, reason: str,
    expires_at,
) -> BasisException:
    """Record that a §4.4 exception lets ``purpose`` go ahead without this person's consent."""
    check_exception(purpose=purpose, legal_basis=legal_basis, reason=reason,
                    expires_at=expires_at)
    exception = BasisException.objects.create(
        subject=subject, purpose=purpose, legal_basis=legal_basis, reason=reason,
        recorded_by=str(actor), expires_at=expires_at,
    )
    freshness.subject_changed(subject.pk)
    freshness.changed(freshness.EXCEPTIONS)
    audit.record(actor=actor, action="consent.exception_recorded", subject=subject,
                 obj=exception, categories=["user.consent"], purpose=purpose,
                 legal_basis=legal_basis, detail={"expires_at": expires_at.isoformat()})
    return exception


@transaction.atomic
def revoke_exception(*, actor: Actor, exception: BasisException) -> None:
    exception = BasisException.objects.select_for_update().get(pk=exception.pk)
    if exception.revoked_at is None:
        exception.revoked_at = timezone.now()
        exception.save(update_fields=["revoked_at"])
        freshness.subject_changed(exception.subject_id)
        freshness.changed(freshness.EXCEPTIONS)
        audit.record(actor=actor, action="consent.exception_revoked",
                     subject=exception.subject, obj=exception, **_LEDGER)


class BannerAction(models.TextChoices):
    ACCEPT_ALL = "accept_all", "Accept all"
    REJECT_ALL = "reject_all", "Reject all"
    CUSTOM = "custom", "Saved a custom choice"
    WITHDRAW_ALL = "withdraw_all", "Withdrew everything and cleared storage"


@transaction.atomic
def record_banner_choice(
    *,
    actor: Actor,
    subject: Subject,
    action: BannerAction,
    choices: dict[str, bool],
    gpc: bool,
    lang: str,
    ip: str | None = None,
    user_agent: str = "",
) -> list[ConsentEvent]:
    """Record a cookie-banner choice, one event per non-essential category.

    "Accept all" and "Reject all" are bundled: they never grant the separate consent that
    advertising partners' cookies need (that takes its own switch). A Global Privacy Control
    signal is a refusal of advertising whatever else was chosen. "Withdraw all" (the "manage
    cookies" page's clear button) withdraws every non-essential category.
    """
    from piwarden.consent import selectors

    action = BannerAction(action)
    bundled = action != BannerAction.CUSTOM
    version = policy_version()
    items = selectors.storage_items()
    events = []
    for category, purpose in selectors.BANNER_PURPOSES.items():
        if category == "necessary":
            continue
        separate = category in selectors.SEPARATE_CATEGORIES
        if bundled and separate and choices.get(category):
            raise ConsentError("SEPARATE_CONSENT_NOT_BUNDLED",
                               "Advertising partners' cookies need their own explicit switch.")
        wanted = bool(choices.get(category, False))
        if action in (BannerAction.REJECT_ALL, BannerAction.WITHDRAW_ALL) or (gpc and separate):
            wanted = False
        elif action == BannerAction.ACCEPT_ALL:
            if separate:
                continue  # "accept all" says nothing about a separate consent
            wanted = True
        scope = Scope.THIRD_PARTY if separate else Scope.GENERAL
        text = notices.banner_text(category, items[category], version, lang)
        choice = Choice.GRANT if wanted else Choice.REFUSE
        if action == BannerAction.WITHDRAW_ALL:
            choice = Choice.WITHDRAW
        events.append(record(
            actor=actor, subject=subject, purpose=purpose, choice=choice, scope=scope,
            notice_text=text,
            channel=Channel.BANNER, ip=ip, user_agent=user_agent,
            bundled=bundled,
        ))
    return events
