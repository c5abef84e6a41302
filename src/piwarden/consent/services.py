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
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from piwarden import metrics
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.context import request_id_var
from piwarden.caches import freshness
from piwarden.catalog import selectors as catalog
from piwarden.catalog.models import LegalBasis, ProcessingActivity
from piwarden.consent import decisions, notices, signals, store
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
from piwarden.errors import ServiceError
from piwarden.sites import guard
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.subjects.services import create_subject
from piwarden.vault import files

_ACTIONS = {Choice.GRANT: "consent.granted", Choice.REFUSE: "consent.refused",
            Choice.WITHDRAW: "consent.withdrawn"}
_LEDGER = {"categories": ["user.consent"], "purpose": "consent.management",
           "legal_basis": "legal_obligation"}
# Paper-form scans are sealed (vault/files.py) under this vault value of the person.
EVIDENCE_KEY = "consent_evidence_key"
EVIDENCE_KIND = "consent.evidence"


class ConsentError(ServiceError):
    """A choice the ledger refuses to record; ``code`` is the API's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message, status=404 if code in _NOT_FOUND_CODES
                         else 410 if code == "GONE" else 422)


# NOT_FOUND: no person has the id a choice names; the API's answer for any unknown object.
_NOT_FOUND_CODES = frozenset({"UNKNOWN_PURPOSE", "NOT_FOUND"})


def _unknown_subject() -> ConsentError:
    return ConsentError("NOT_FOUND", "Not found.")


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
    notice, _ = Notice.objects.get_or_create(sha256=_digest(text), defaults={"text": text})
    return notice


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def applicable_scopes(purpose: str) -> tuple[str, ...]:
    """The scopes a person can choose for a purpose: its own, plus separate consent for
    sensitive categories where the purpose processes any."""
    rule = decisions.rules().purposes.get(purpose)
    if rule is None:
        raise ConsentError("UNKNOWN_PURPOSE", f"There is no purpose '{purpose}'.")
    return tuple(scope for _, scope in (rule.needs_sensitive if rule.sensitive else rule.needs))


def check_recipient(*, purpose: str, scope: str, recipient: str) -> None:
    """A consent for one recipient: a catalog recipient that an activity of the purpose
    provides PI to, in a scope of separate consent (PIPL Art. 23 or 39)."""
    if scope not in decisions.RECIPIENT_SCOPES:
        raise ConsentError("SCOPE_NOT_APPLICABLE", "A consent for a recipient is a separate "
                           "consent to provision (separate.third_party or "
                           "separate.cross_border).")
    if purpose not in decisions.rules().purposes:
        raise ConsentError("UNKNOWN_PURPOSE", f"There is no purpose '{purpose}'.")
    if not ProcessingActivity.objects.filter(purpose__key=purpose, recipients__key=recipient,
                                             retired=False).exists():
        raise ConsentError("RECIPIENT_NOT_DECLARED", f"No activity of purpose '{purpose}' "
                           f"provides personal information to '{recipient}'.")


def check_choice(*, subject: Subject, purpose: str, choice: Choice, scope: str,
                 notice_text: str, channel: Channel, bundled: bool = False,
                 evidence=None, evidence_sealed: bool = False, recipient: str = "") -> None:
    """Raise ConsentError when the ledger would refuse this choice (forms call it too)."""
    _check_scope(purpose=purpose, choice=choice, scope=scope, bundled=bundled,
                 recipient=recipient)
    _check_status(subject.status, choice)
    _check_notice(choice=choice, notice_text=notice_text, channel=channel, evidence=evidence,
                  evidence_sealed=evidence_sealed)


def _check_scope(*, purpose: str, choice: Choice, scope: str, bundled: bool,
                 recipient: str) -> None:
    if recipient and choice == Choice.GRANT:  # a withdrawal always goes through
        check_recipient(purpose=purpose, scope=scope, recipient=recipient)
    elif recipient and scope not in decisions.RECIPIENT_SCOPES:
        raise ConsentError("SCOPE_NOT_APPLICABLE", "A consent for a recipient is a separate "
                           "consent to provision.")
    elif scope not in applicable_scopes(purpose):
        raise ConsentError("SCOPE_NOT_APPLICABLE",
                           f"Purpose '{purpose}' takes no consent of scope '{scope}'.")
    if bundled and choice == Choice.GRANT and (scope != Scope.GENERAL or recipient):
        raise ConsentError("SEPARATE_CONSENT_NOT_BUNDLED",
                           "Separate consent needs its own explicit action.")
    if choice == Choice.GRANT and purpose in guard.closed_purposes():
        raise ConsentError("GONE", "This service has ended: it takes no new consent.")


def _check_status(status: str, choice: Choice) -> None:
    if choice != Choice.WITHDRAW and status != SubjectStatus.ACTIVE:
        raise ConsentError("SUBJECT_INACTIVE", "This person's data is no longer processed.")


def _check_notice(*, choice: Choice, notice_text: str, channel: Channel, evidence,
                  evidence_sealed: bool) -> None:
    if not notice_text.strip():
        raise ConsentError("NOTICE_REQUIRED", "The notice text shown must be recorded.")
    if channel == Channel.OFFLINE and choice == Choice.GRANT and not evidence:
        raise ConsentError("EVIDENCE_REQUIRED", "Offline consent needs the scanned form.")
    if evidence and not evidence_sealed:
        try:
            files.check(evidence, files.SCANS)
        except files.FileRefused as exc:
            raise ConsentError(exc.code, exc.message) from None


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
    evidence_sealed: bool = False,
    carried_from: ConsentEvent | None = None,
    recipient: str = "",
) -> ConsentEvent:
    """Record one choice. Separate consent is never granted through a bundled control.

    ``recipient`` makes it a consent to provision to that one recipient (PIPL Art. 23): a new
    recipient needs a new consent, and withdrawing it is forwarded to the recipient.

    ``evidence`` (the scanned paper form) is sealed under the person's key before it is
    written, unless the caller sealed it already (``evidence_sealed``, a campaign's scan).

    The checks come before the transaction, so that it holds the write lock only for the
    ledger rows and the audit record. The notice (stored once per distinct text, never
    changed) is found by its hash as the event is written (``store``), and stored then when
    the text is new.
    """
    event = _prepare(actor=actor, subject=subject, purpose=purpose, choice=choice, scope=scope,
                     notice_text=notice_text, channel=channel, ip=ip, user_agent=user_agent,
                     bundled=bundled, evidence=evidence, evidence_sealed=evidence_sealed,
                     carried_from=carried_from, recipient=recipient)
    with transaction.atomic():
        _write(actor=actor, events=[event])
    return event


def record_choice(*, actor: Actor, subject_id: uuid.UUID, purpose: str, choice: Choice,
                  scope: str = Scope.GENERAL, notice_text: str, channel: Channel,
                  ip: str | None = None, user_agent: str = "") -> ConsentEvent:
    """``record`` for a caller that names the person by id only: the API, through which a
    site forwards each choice as it is made.

    Nothing is read before the write: the write itself finds the person (and the notice) and
    refuses an unknown id (``NOT_FOUND``, 404) or a person whose data is no longer processed.
    The answers are ``record``'s, in the same order, as if the person had been looked up
    first: a choice the rules refuse looks the person up then, so that an unknown id is
    still answered ``NOT_FOUND`` before anything else.
    """
    choice, scope = Choice(choice), _scope(scope)
    notice_text, user_agent = _storable(notice_text), _storable(user_agent)
    try:
        _check_scope(purpose=purpose, choice=choice, scope=scope, bundled=False, recipient="")
        _check_notice(choice=choice, notice_text=notice_text, channel=channel, evidence=None,
                      evidence_sealed=False)
    except ConsentError:
        subject = Subject.objects.filter(pk=subject_id).first()
        if subject is None:
            raise _unknown_subject() from None
        check_choice(subject=subject, purpose=purpose, choice=choice, scope=scope,
                     notice_text=notice_text, channel=channel)
        raise
    event = _event(actor=actor, subject_id=subject_id, purpose=purpose, scope=scope,
                   choice=choice, notice_text=notice_text, channel=channel, ip=ip,
                   user_agent=user_agent)
    with transaction.atomic():
        _write(actor=actor, events=[event])
    return event


def record_many(*, actor: Actor, items: list[dict]) -> list[ConsentEvent | ConsentError]:
    """Record a batch of choices (``record``'s keyword arguments per item, other people's
    included) in one transaction: what a site's back-end sends when it forwards its visitors'
    choices. Returns, per item, its event or the error that refused it; refused items do not
    stop the others. One subject, purpose and scope may appear once per batch."""
    results: list[ConsentEvent | ConsentError] = []
    seen: set[tuple] = set()
    shown: dict[str, Notice] = {}
    for item in items:
        try:
            event = _prepare(actor=actor, notices=shown, **item)
            key = _key(event)
            if key in seen:
                raise ConsentError("DUPLICATE_IN_BATCH",
                                   "The same subject, purpose and scope appear twice.")
            seen.add(key)
            results.append(event)
        except ConsentError as exc:
            results.append(exc)
    events = [result for result in results if isinstance(result, ConsentEvent)]
    if events:
        with transaction.atomic():
            _write(actor=actor, events=events)
    return results


def _prepare(*, actor: Actor, subject: Subject, purpose: str, choice: Choice,
             scope: str = Scope.GENERAL, notice_text: str, channel: Channel,
             ip: str | None = None, user_agent: str = "", bundled: bool = False, evidence=None,
             evidence_sealed: bool = False, carried_from: ConsentEvent | None = None,
             notices: dict[str, Notice] | None = None, recipient: str = "") -> ConsentEvent:
    """Check one choice and build its (unsaved) event; ``notices`` caches the notice rows of
    a batch by text."""
    choice, scope = Choice(choice), _scope(scope)
    notice_text, user_agent = _storable(notice_text), _storable(user_agent)
    check_choice(subject=subject, purpose=purpose, choice=choice, scope=scope,
                 notice_text=notice_text, channel=channel, bundled=bundled, evidence=evidence,
                 evidence_sealed=evidence_sealed, recipient=recipient)
    event = _event(actor=actor, subject=subject, purpose=purpose, scope=scope,
                   recipient=recipient, choice=choice, bundled=bundled,
                   notice_text=notice_text, channel=channel, ip=ip, user_agent=user_agent,
                   carried_from=carried_from)
    if notices is not None:  # a batch; a single choice finds its notice as it is written
        event.notice = _cached_notice(notice_text, notices)
    if evidence and not evidence_sealed:
        event.evidence_id = uuid.uuid4()
        evidence = files.seal_upload(
            actor=actor, subject=subject, field=EVIDENCE_KEY, purpose=_LEDGER["purpose"],
            kind=EVIDENCE_KIND, owner_id=event.evidence_id, upload=evidence, types=files.SCANS)
    if evidence:
        event.evidence.save(evidence.name, evidence, save=False)
    return event


def _storable(text: str) -> str:
    """Text as the database can store it: without NUL characters (PostgreSQL refuses them)."""
    return text.replace("\x00", "") if "\x00" in text else text


def _event(*, actor: Actor, purpose: str, scope: str, choice: Choice, notice_text: str,
           channel: Channel, subject: Subject | None = None, subject_id: uuid.UUID | None = None,
           recipient: str = "", bundled: bool = False, ip: str | None = None,
           user_agent: str = "", carried_from: ConsentEvent | None = None) -> ConsentEvent:
    """The (unsaved) event of a checked choice, with the notice text it showed (``_shown``)."""
    event = ConsentEvent(
        purpose=purpose, scope=scope, recipient=recipient, choice=choice, bundled=bundled,
        policy_version=policy_version(), channel=Channel(channel), ip_prefix=truncate_ip(ip),
        user_agent=user_agent[:300], actor_kind=actor.kind, actor_id=actor.id,
        request_id=request_id_var.get() or "", carried_from=carried_from,
    )
    if subject is not None:
        event.subject = subject
    else:
        event.subject_id = subject_id
    event._shown = (notice_text, _digest(notice_text))
    return event


def stored_unsealed(event: ConsentEvent) -> bool:
    """A scan stored before evidence was sealed: neither the ledger's (``evidence_id``) nor a
    campaign's sealed blob. Erasure deletes it, since no key shredding can reach it."""
    if not event.evidence or event.evidence_id is not None:
        return False
    try:
        with event.evidence.open("rb") as handle:
            return handle.read(len(files.FORMAT)) != files.FORMAT
    except OSError:
        return False


def read_evidence(*, actor: Actor, event: ConsentEvent) -> tuple[bytes, str]:
    """The paper form's scan and its type, for staff (the caller checks
    ``consent.view_evidence``); audited. Raises files.FileGone when erased, or sealed by
    another app (a campaign entry's scan opens from the entry). Not one transaction: a refused
    reveal of the key keeps its own audit record."""
    if event.evidence_id is None:
        raise files.FileGone(EVIDENCE_KIND)
    data, kind = files.open_stored(
        actor=actor, subject=event.subject, field=EVIDENCE_KEY, purpose=_LEDGER["purpose"],
        kind=EVIDENCE_KIND, owner_id=event.evidence_id, stored=event.evidence,
        reason=f"consent event {event.pk}: open the paper form")
    with transaction.atomic():
        audit.record(actor=actor, action="consent.evidence_viewed", subject=event.subject,
                     obj=event, detail={"purpose": event.purpose}, **_LEDGER)
    return data, kind


def _cached_notice(text: str, notices: dict[str, Notice] | None) -> Notice:
    if notices is None:
        return _notice(text)
    if text not in notices:
        notices[text] = _notice(text)
    return notices[text]


def _key(event: ConsentEvent) -> tuple:
    return (event.subject_id, event.purpose, event.scope, event.recipient)


def _previous_choices(events: list[ConsentEvent]) -> dict[tuple, str]:
    """The current choice per (subject, purpose, scope, recipient) of the events, in one
    query."""
    wanted = {_key(event) for event in events}
    states = ConsentState.objects.filter(
        subject_id__in={key[0] for key in wanted}, purpose__in={key[1] for key in wanted},
    ).values_list("subject_id", "purpose", "scope", "recipient", "choice")
    return {key[:4]: key[4] for key in states if key[:4] in wanted}


def _write(*, actor: Actor, events: list[ConsentEvent]) -> None:
    """Write the events, their derived states, the erasure bookkeeping and the audit records
    (inside the caller's transaction). Rows are written in one order (by subject), so two
    batches that share people lock them in the same order and never deadlock."""
    events = sorted(events, key=lambda event: (str(event.subject_id), event.purpose,
                                               event.scope, event.recipient))
    statuses = None  # the subjects' statuses, when the write has just read them
    if len(events) == 1:
        written = _write_one(events[0])
        previous = {_key(events[0]): written.previous}
        statuses = {events[0].subject_id: written.status}
    else:
        previous = _previous_choices(events)
        ConsentEvent.objects.bulk_create(events)
        ConsentState.objects.bulk_create(  # one upsert statement
            [ConsentState(subject_id=event.subject_id, purpose=event.purpose,
                          scope=event.scope, recipient=event.recipient, choice=event.choice,
                          policy_version=event.policy_version, changed_at=event.occurred_at,
                          event=event) for event in events],
            update_conflicts=True, unique_fields=["subject", "purpose", "scope", "recipient"],
            update_fields=["choice", "policy_version", "changed_at", "event"],
        )
    recorded = len(events)
    transaction.on_commit(lambda: metrics.CONSENT_WRITES.inc(recorded))
    ending = [event for event in events if _ends_consent(event, previous.get(_key(event)))]
    # Recipients that received the person's data for an ended purpose are asked to stop and
    # delete (sharing.propagation listens). Our own data stays when a consent to one
    # recipient ends: it was not given for our own processing.
    for event in ending:
        signals.consent_ended.send(ConsentEvent, event=event, actor=actor)
    erasures = _schedule_erasures([event for event in ending if not event.recipient], statuses)
    if erasures:
        due = max(erasure.due_at for erasure in erasures.values())
        _enqueue_erasure(due)  # one task runs them all
    regranted, entries = [], []
    for event in events:
        subject, purpose, choice = event.subject, event.purpose, event.choice
        before = previous.get(_key(event))
        freshness.subject_changed(subject.pk)
        detail = {"purpose": purpose, "scope": event.scope, "channel": event.channel,
                  "policy_version": event.policy_version, "bundled": event.bundled}
        if event.recipient:
            detail["recipient"] = event.recipient
        # Set when this withdrawal schedules an erasure, to tell the person.
        event.erasure = erasures.get((event.subject_id, purpose))
        if event.erasure:
            detail["erasure_due"] = event.erasure.due_at.date().isoformat()
        elif (choice == Choice.GRANT and before in (Choice.WITHDRAW, Choice.REFUSE)
              and not event.recipient):
            regranted.append((subject.pk, purpose))
        entries.append({"actor": actor, "action": _ACTIONS[choice], "subject": subject,
                        "obj": event, "detail": detail, **_LEDGER})
    if regranted:
        _cancel_erasures(regranted)
    audit.record_many(entries)


def _write_one(event: ConsentEvent) -> store.Written:
    """Write one event and its state (``store``: one statement on PostgreSQL), refusing an
    unknown or inactive person; returns the state's previous choice and the person's status.
    An event made from the person's id alone gets the person as the write found them."""
    text, digest = event._shown
    try:
        written = store.write(connection, event, text, digest,
                              any_status=event.choice == Choice.WITHDRAW)
    except store.UnknownSubject:
        raise _unknown_subject() from None
    except store.InactiveSubject:
        raise ConsentError("SUBJECT_INACTIVE",
                           "This person's data is no longer processed.") from None
    if not ConsentEvent.subject.is_cached(event):
        event.subject = Subject.from_db(connection.alias, ["id", "kind", "status"],
                                        [event.subject_id, written.kind, written.status])
    return written


def _cancel_erasures(keys: list[tuple]) -> None:
    """A new grant makes the pending erasures of that subject and purpose moot (one
    statement)."""
    match = Q()
    for subject_id, purpose in set(keys):
        match |= Q(subject_id=subject_id, purpose=purpose)
    ScheduledErasure.objects.filter(match, status=ErasureStatus.PENDING).update(
        status=ErasureStatus.CANCELLED, done_at=timezone.now())


def _scope(scope: str) -> str:
    try:
        return Scope(scope).value
    except ValueError:
        raise ConsentError("UNKNOWN_SCOPE", f"There is no consent scope '{scope}'.") from None


def notice_for(*, purpose, scope: str, choice: str, lang: str | None = None) -> str:
    """The notice text a privacy-center choice records: a grant of a separate consent records
    the separate consent's own notice (``notices.separate_notice``), anything else the
    purpose's notice."""
    version = policy_version()
    if choice == Choice.GRANT and scope != Scope.GENERAL:
        return notices.separate_notice(purpose, scope, version, lang).text
    return notices.purpose_text(purpose, scope, version, lang)


def choose(*, actor: Actor, subject: Subject, purpose: str, scope: str, choice: str,
           lang: str | None, shown: str = "", channel: Channel, ip: str | None = None,
           user_agent: str = "") -> ConsentEvent:
    """A choice the person makes in the privacy center (its page or ``/me/purposes``).

    A separate consent is granted only after its own notice was shown: ``shown`` must be the
    digest of that notice in the person's language, which the page (or the banner's
    ``locate()``) sends back with the agreement; without it the grant is refused
    (``NOTICE_NOT_ACKNOWLEDGED``) and nothing is recorded.
    """
    from piwarden.catalog.models import Purpose

    found = Purpose.objects.filter(key=purpose, retired=False).first()
    if found is None:
        raise ConsentError("UNKNOWN_PURPOSE", f"There is no purpose '{purpose}'.")
    if choice not in Choice.values:
        raise ConsentError("UNKNOWN_CHOICE", f"There is no choice '{choice}'.")
    scope = _scope(scope)
    text = notice_for(purpose=found, scope=scope, choice=choice, lang=lang)
    if choice == Choice.GRANT and scope != Scope.GENERAL and \
            shown != notices.notice_digest(text):
        raise ConsentError("NOTICE_NOT_ACKNOWLEDGED",
                           "A separate consent is given after reading its own notice: open "
                           "it and agree there.")
    return record(actor=actor, subject=subject, purpose=found.key, choice=choice, scope=scope,
                  notice_text=text, channel=channel, ip=ip, user_agent=user_agent)


def grant(**kwargs) -> ConsentEvent:
    return record(choice=Choice.GRANT, **kwargs)


def refuse(**kwargs) -> ConsentEvent:
    return record(choice=Choice.REFUSE, **kwargs)


def withdraw(**kwargs) -> ConsentEvent:
    return record(choice=Choice.WITHDRAW, **kwargs)


def _ends_consent(event: ConsentEvent, before: str | None) -> bool:
    return event.choice == Choice.WITHDRAW or (event.choice == Choice.REFUSE and
                                               before == Choice.GRANT)


def _schedule_erasures(events: list[ConsentEvent], statuses: dict | None = None
                       ) -> dict[tuple, ScheduledErasure]:
    """Schedule erasure of the categories that only the withdrawn purposes' consent covered,
    per (subject, purpose).

    The categories that another purpose concerning this kind of person lets us keep stay; the
    rest of what the withdrawn purpose declares is due for erasure. Decisions are read after
    the new states are written, in one query for all the subjects.
    """
    if not events or not settings.PIWARDEN_ERASE_ON_WITHDRAWAL:
        return {}
    catalog_rules = decisions.rules()
    decided = decisions.decide_all_many({event.subject_id for event in events}, statuses)
    pending = {(erasure.subject_id, erasure.purpose): erasure
               for erasure in ScheduledErasure.objects.filter(
                   subject_id__in=decided, status=ErasureStatus.PENDING,
                   purpose__in={event.purpose for event in events})}
    scheduled, new = {}, []
    for event in events:
        subject, purpose = event.subject, event.purpose
        rule = catalog_rules.purposes[purpose]
        # Withdrawing the separate consent for sensitive PI leaves the purpose's other data,
        # unless that consent is the purpose's own (location-based services): then all of it.
        held = rule.sensitive if event.scope == Scope.SENSITIVE and \
            Scope.SENSITIVE not in rule.scopes else rule.declared
        still_covered: set[str] = set()
        for other in catalog_rules.purposes.values():
            if other.key != purpose and subject.kind in other.subject_kinds and \
                    _keeps_data(subject, other, decided[subject.pk][other.key]):
                still_covered |= _kept_categories(subject, other,
                                                  decided[subject.pk][other.key], held)
        orphaned = held - still_covered
        if not orphaned:
            continue
        due = event.occurred_at + timedelta(days=settings.PIWARDEN_WITHDRAWAL_ERASURE_DAYS)
        erasure = scheduled.get((subject.pk, purpose)) or pending.get((subject.pk, purpose))
        if erasure is not None and (subject.pk, purpose) in scheduled:
            orphaned |= set(erasure.categories)  # both scopes of one purpose in this batch
        orphaned = sorted(orphaned)
        if erasure is None:
            erasure = ScheduledErasure(subject=subject, purpose=purpose,
                                       status=ErasureStatus.PENDING)
            new.append(erasure)
        erasure.categories, erasure.withdrawal, erasure.due_at = orphaned, event, due
        scheduled[(subject.pk, purpose)] = erasure
    ScheduledErasure.objects.bulk_create(new)
    for erasure in pending.values():
        if (erasure.subject_id, erasure.purpose) in scheduled:
            erasure.save(update_fields=["categories", "withdrawal", "due_at"])
    return scheduled


def _enqueue_erasure(due) -> None:
    """One erasure run per minute of due time, however many batches fall due in it: the due
    time is rounded up to the minute, which is both the run's time and its dedupe key."""
    import datetime

    from piwarden.consent.tasks import run_due_erasures
    from piwarden.jobs.services import enqueue_with_caller

    minute = due.replace(second=0, microsecond=0)
    if minute < due:
        minute += datetime.timedelta(minutes=1)
    enqueue_with_caller(run_due_erasures.using(run_after=minute),
                        key=f"consent.erasure:{minute.astimezone(datetime.UTC):%Y-%m-%dT%H:%MZ}")


def _kept_categories(subject: Subject, rule: decisions.PurposeRule,
                     decision: decisions.Decision, held: frozenset[str]) -> frozenset[str]:
    """What a purpose that keeps data keeps of ``held``: its sensitive categories only with
    the separate consent they need (an ID given for invoicing is not kept by the contract
    purpose ``service.provision`` once its consent is withdrawn). The consent is looked up
    only when the withdrawn data includes such a category."""
    sensitive = rule.sensitive & held
    if decision.reason == "legal_basis" and sensitive and rule.sensitive_needs_separate \
            and not decisions.decide(subject.pk, rule.key, sorted(sensitive)).allowed:
        return rule.declared - rule.sensitive
    return rule.declared


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
    if LegalBasis.objects.filter(key=legal_basis, pipl_13=None).exists():
        raise ConsentError("BASIS_NOT_PIPL", "This exception has no PIPL Art. 13 basis of its "
                           "own (policy §4.4(8)); record the basis it rests on, or ask for "
                           "consent.")
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
        if wanted and purpose in guard.closed_purposes():
            continue  # its service has ended: nothing to grant any more
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
