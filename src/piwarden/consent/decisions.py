"""The decision service: may purpose P process categories C of subject S now?

``decide()`` answers from two per-process caches: the catalog's rules per purpose, and the
consent state, status and exceptions per subject. Both are checked against cross-process
freshness tokens (``caches.freshness``) on every call, so a withdrawal recorded by any process
on any host denies the next decision, while a warm cache answers in microseconds.

Rules, in order:
1. Unknown purpose or category keys raise ``UnknownKey``: a caller bug, not a denial.
2. Categories that no activity of the purpose declares are denied (minimisation, §5.1).
3. An erased subject is denied everything; a cancelled or restricted one everything but purposes
   resting on a legal obligation (keeping records the law requires, answering requests).
4. An operator-recorded §4.4 exception for this subject and purpose allows, under its basis.
5. A purpose needing consent needs the subject's grant in each scope it requires; sensitive
   categories add separate consent (PIPL Art. 29) unless the purpose rests on a legal duty,
   an emergency or another non-consent, non-contract basis.
"""

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from piwarden import bulk
from piwarden.caches import freshness
from piwarden.catalog.models import (
    CatalogRelease,
    DataCategory,
    Grade,
    LegalBasis,
    ProcessingActivity,
    Purpose,
)
from piwarden.subjects.models import Subject, SubjectStatus

# Bases under which sensitive PI needs no separate consent (PIPL Art. 13(3)-(7)).
_NO_CONSENT_BASES = frozenset({
    "legal_obligation", "emergency", "news_reporting", "public_information", "other_law",
})
_RESTRICTED_OK = frozenset({"legal_obligation"})
_ACTIVE, _ERASED_STATUS = SubjectStatus.ACTIVE.value, SubjectStatus.ERASED.value
_CACHE_LIMIT = 200_000
_MASK = freshness.BUCKETS - 1


class UnknownKey(ValueError):
    """A purpose or category key that the active catalog does not have."""

    def __init__(self, kind: str, keys: list[str]):
        super().__init__(f"unknown {kind}: {', '.join(keys)}")
        self.kind, self.keys = kind, keys


class InvalidSubject(ValueError):
    """A subject id that is not a UUID."""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    legal_basis: str | None = None
    missing_scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PurposeRule:
    key: str
    basis: str
    scopes: tuple[str, ...]  # consent scopes needed for any use of the purpose
    declared: frozenset[str]  # categories its activities declare, with their sub-categories
    subject_kinds: frozenset[str]  # the kinds of data subject its activities concern
    sensitive: frozenset[str]
    sensitive_needs_separate: bool
    allow: Decision  # the answer when no consent is needed
    # Precomputed for the hot path: the scope keys to check, and the answer when all are given.
    needs: tuple[tuple[str, str], ...]
    needs_sensitive: tuple[tuple[str, str], ...]
    granted: Decision | None
    granted_sensitive: Decision


@dataclass(frozen=True, slots=True)
class _Rules:
    token: int
    purposes: dict[str, PurposeRule]
    categories: frozenset[str]
    policy_version: str
    article_13: frozenset[str]  # legal bases that rest on a PIPL Art. 13 item of their own


@dataclass(frozen=True, slots=True)
class _SubjectView:
    token: int
    status: str
    choices: dict[tuple[str, str], str]
    exceptions: dict[str, tuple[tuple[str, object], ...]]  # purpose -> ((basis, expires_at),)
    # Consents given for one recipient (PIPL Art. 23): (purpose, scope, recipient) -> choice.
    recipient_choices: dict[tuple[str, str, str], str]


# Scopes that a consent for one recipient is given in; a new recipient needs a new consent.
RECIPIENT_SCOPES = frozenset({"separate.third_party", "separate.cross_border"})


_UNKNOWN_SUBJECT = Decision(False, "unknown_subject")
_ERASED = Decision(False, "subject_erased")
_CANCELLED = Decision(False, "account_cancelled")
_RESTRICTED = Decision(False, "processing_restricted")
_NOT_DECLARED = Decision(False, "category_not_declared")

_rules: _Rules | None = None
_subjects: dict[uuid.UUID, _SubjectView] = {}


def clear_cache() -> None:
    global _rules
    _rules = None
    _subjects.clear()


def _scopes_for(purpose: Purpose) -> tuple[str, ...]:
    if purpose.consent == "separate":
        return tuple(f"separate.{case}" for case in purpose.separate)
    return ("general",) if purpose.consent == "consent" else ()


def _load_rules(token: int) -> _Rules:
    categories = {c.key: c for c in DataCategory.objects.filter(retired=False)}
    children: dict[int, list[DataCategory]] = {}
    for category in categories.values():
        children.setdefault(category.parent_id, []).append(category)

    def with_descendants(category: DataCategory) -> set[str]:
        keys = {category.key}
        for child in children.get(category.pk, []):
            keys |= with_descendants(child)
        return keys

    declared: dict[str, set[str]] = {}
    kinds: dict[str, set[str]] = {}
    activities = ProcessingActivity.objects.filter(retired=False).prefetch_related("categories")
    for activity in activities.select_related("purpose"):
        kinds.setdefault(activity.purpose.key, set()).update(activity.data_subjects)
        keys = declared.setdefault(activity.purpose.key, set())
        for category in activity.categories.all():
            if category.key in categories:
                keys |= with_descendants(categories[category.key])
    sensitive = frozenset(k for k, c in categories.items() if c.grade == Grade.SENSITIVE)

    purposes = {}
    for purpose in Purpose.objects.filter(retired=False).select_related("legal_basis"):
        basis, scopes = purpose.legal_basis.key, _scopes_for(purpose)
        needs_separate = basis not in _NO_CONSENT_BASES
        with_sensitive = scopes if "separate.sensitive" in scopes or not needs_separate \
            else (*scopes, "separate.sensitive")
        purposes[purpose.key] = PurposeRule(
            key=purpose.key, basis=basis, scopes=scopes,
            declared=frozenset(declared.get(purpose.key, ())),
            subject_kinds=frozenset(kinds.get(purpose.key, ())),
            sensitive=frozenset(declared.get(purpose.key, ())) & sensitive,
            sensitive_needs_separate=needs_separate,
            allow=Decision(True, "legal_basis", basis),
            needs=tuple((purpose.key, scope) for scope in scopes),
            needs_sensitive=tuple((purpose.key, scope) for scope in with_sensitive),
            granted=_granted(scopes),
            granted_sensitive=_granted(with_sensitive) or Decision(True, "legal_basis", basis),
        )
    release = CatalogRelease.objects.order_by("-loaded_at", "-id").first()
    version = (release.policy or {}).get("version", "") if release else ""
    article_13 = frozenset(LegalBasis.objects.exclude(pipl_13=None).values_list("key",
                                                                                flat=True))
    return _Rules(token, purposes, frozenset(categories), version, article_13)


def _granted(scopes: tuple[str, ...]) -> Decision | None:
    if not scopes:
        return None
    basis = "consent" if scopes == ("general",) else "consent.separate"
    return Decision(True, "consent_granted", basis)


def rules() -> _Rules:
    """The catalog's rules, reloaded when any process loads a new catalog."""
    global _rules
    token = freshness.token(freshness.CATALOG)
    if _rules is None or _rules.token != token:
        _rules = _load_rules(token)
    return _rules


def _cacheable() -> bool:
    """Views read inside a transaction may hold its uncommitted rows, which a rollback would
    leave behind in the cache with a token that no commit ever changes: never cache them."""
    return not connection.in_atomic_block


def _read_views(tokens: dict[uuid.UUID, int],
                statuses: dict[uuid.UUID, str] | None = None) -> dict[uuid.UUID, _SubjectView]:
    """The views of these subjects (unknown ids are left out): statuses (unless the caller
    read them), then consent states (separate lookups: one join measured slower), then
    exceptions only when any exception is recorded at all."""
    from piwarden.consent.models import ConsentState

    if statuses is None:
        statuses = dict(Subject.objects.filter(pk__in=tokens).values_list("pk", "status"))
    choices: dict[uuid.UUID, dict] = {subject_id: {} for subject_id in statuses}
    for_recipients: dict[uuid.UUID, dict] = {}
    for subject_id, purpose, scope, recipient, choice in ConsentState.objects.filter(
            subject_id__in=statuses).values_list("subject_id", "purpose", "scope",
                                                 "recipient", "choice"):
        if recipient:
            for_recipients.setdefault(subject_id, {})[(purpose, scope, recipient)] = choice
        else:
            choices[subject_id][(purpose, scope)] = choice
    exceptions = _exceptions_of(statuses)
    return {subject_id: _SubjectView(tokens[subject_id], status, choices[subject_id],
                                     exceptions.get(subject_id, {}),
                                     for_recipients.get(subject_id, {}))
            for subject_id, status in statuses.items()}


def _exceptions_of(subject_ids, purpose: str = "") -> dict[uuid.UUID, dict]:
    """subject → purpose → ((basis, expires_at), …) of the live §4.4 exceptions (of one
    purpose, when given); no query at all while none is on record."""
    from piwarden.consent.models import BasisException

    exceptions: dict[uuid.UUID, dict] = {}
    if not subject_ids or not _any_exceptions():
        return exceptions
    rows = BasisException.objects.filter(subject_id__in=subject_ids, revoked_at=None)
    if purpose:
        rows = rows.filter(purpose=purpose)
    for subject_id, key, basis, expires_at in rows.values_list(
            "subject_id", "purpose", "legal_basis", "expires_at"):
        per_subject = exceptions.setdefault(subject_id, {})
        per_subject[key] = (*per_subject.get(key, ()), (basis, expires_at))
    return exceptions


_exceptions_seen: tuple[int, bool] | None = None


def _any_exceptions() -> bool:
    """Whether any §4.4 exception is on record (rare), re-checked when one is recorded."""
    global _exceptions_seen
    from piwarden.consent.models import BasisException

    token = freshness.token(freshness.EXCEPTIONS)
    if _exceptions_seen is None or _exceptions_seen[0] != token or not _cacheable():
        _exceptions_seen = (token, BasisException.objects.filter(revoked_at=None).exists())
    return _exceptions_seen[1]


def prefetch(subject_ids: Iterable[uuid.UUID]) -> None:
    """Load the views of the subjects not cached (or stale) at once, for batches."""
    if not _cacheable():
        return
    stale: dict[uuid.UUID, int] = {}
    for subject_id in set(subject_ids):
        token = freshness.token(subject_id.int & _MASK)
        view = _subjects.get(subject_id)
        if view is None or view.token != token:
            stale[subject_id] = token
    if not stale:
        return
    views = _read_views(stale)
    if len(_subjects) + len(views) > _CACHE_LIMIT:
        _subjects.clear()
    _subjects.update(views)


def _subject_view(subject_id: uuid.UUID) -> _SubjectView | None:
    token = freshness.token(subject_id.int & _MASK)
    view = _subjects.get(subject_id)
    if view is not None and view.token == token:
        return view
    view = _read_views({subject_id: token}).get(subject_id)
    if view is not None and _cacheable():
        if len(_subjects) >= _CACHE_LIMIT:
            _subjects.clear()
        _subjects[subject_id] = view
    return view


def as_uuid(subject_id) -> uuid.UUID:
    if isinstance(subject_id, uuid.UUID):
        return subject_id
    try:
        return uuid.UUID(str(subject_id))
    except ValueError:
        raise InvalidSubject(f"not a subject id: {str(subject_id)[:40]!r}") from None


def decide(subject_id, purpose: str, categories: Iterable[str] = (),
           recipient: str = "") -> Decision:
    """Allow or deny, with the legal basis when allowed and a reason code either way.

    With a ``recipient``, consent must have been given for that recipient (PIPL Art. 23): a
    grant for another recipient, or one not about a recipient, does not count.
    """
    catalog = rules()
    rule = catalog.purposes.get(purpose)
    if rule is None:
        raise UnknownKey("purposes", [purpose])
    cats = categories if isinstance(categories, frozenset) else frozenset(categories)
    if not cats <= rule.declared:
        unknown = cats - catalog.categories
        if unknown:
            raise UnknownKey("categories", sorted(unknown))
        return _NOT_DECLARED
    view = _subject_view(subject_id if type(subject_id) is uuid.UUID else as_uuid(subject_id))
    if view is None:
        return _UNKNOWN_SUBJECT
    if recipient:
        return _judge_for_recipient(rule, cats, view, recipient)
    return _judge(rule, cats, view)


def decide_many(subject_ids: Iterable[uuid.UUID], purpose: str, categories: Iterable[str] = (),
                recipient: str = "", *, lock: bool = False,
                chunk: int = 5000) -> dict[uuid.UUID, Decision]:
    """``decide`` for many subjects, read fresh from the database in chunks (no cache): what
    a provision of PI to a recipient checks inside its transaction. With ``lock`` (on
    PostgreSQL) the consent rows read are share-locked and the subjects key-share-locked until
    the caller commits, so a withdrawal or an erasure that starts meanwhile waits for the
    provision and then sees it in the register. Unknown subjects are ``unknown_subject``."""
    catalog = rules()
    rule = catalog.purposes.get(purpose)
    if rule is None:
        raise UnknownKey("purposes", [purpose])
    cats = frozenset(categories)
    ids = list(subject_ids)
    if not cats <= rule.declared:
        unknown = cats - catalog.categories
        if unknown:
            raise UnknownKey("categories", sorted(unknown))
        return dict.fromkeys(ids, _NOT_DECLARED)
    answers: dict[uuid.UUID, Decision] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        views = _read_purpose_views(part, purpose, lock=lock)
        for subject_id in part:
            view = views.get(subject_id)
            if view is None:
                answers[subject_id] = _UNKNOWN_SUBJECT
            elif recipient:
                answers[subject_id] = _judge_for_recipient(rule, cats, view, recipient)
            else:
                answers[subject_id] = _judge(rule, cats, view)
    return answers


def _read_purpose_views(ids: list[uuid.UUID], purpose: str,
                        lock: bool = False) -> dict[uuid.UUID, _SubjectView]:
    """Views of these subjects holding only this purpose's consent states: two statements
    with the ids as one parameter each (plus exceptions when any is on record)."""
    from piwarden.consent.models import ConsentState

    statuses: dict[uuid.UUID, str] = {}
    choices: dict[uuid.UUID, dict] = {}
    for_recipients: dict[uuid.UUID, dict] = {}
    with connection.cursor() as cursor:
        where, params = bulk.uuid_in("id", ids, connection)
        locking = lock and connection.vendor == "postgresql"
        cursor.execute(f"SELECT id, status FROM {Subject._meta.db_table} "  # noqa: S608
                       f"WHERE {where}" + (" FOR KEY SHARE" if locking else ""), params)
        for subject_id, status in cursor.fetchall():
            subject_id = bulk.as_uuid(subject_id)
            statuses[subject_id], choices[subject_id] = status, {}
        where, params = bulk.uuid_in("subject_id", ids, connection)
        cursor.execute(f"SELECT subject_id, scope, recipient, choice "  # noqa: S608
                       f"FROM {ConsentState._meta.db_table} WHERE purpose = %s AND {where}"
                       + (" FOR SHARE" if locking else ""), [purpose, *params])
        for subject_id, scope, recipient, choice in cursor.fetchall():
            subject_id = bulk.as_uuid(subject_id)
            if recipient:
                for_recipients.setdefault(subject_id, {})[(purpose, scope, recipient)] = choice
            else:
                choices[subject_id][(purpose, scope)] = choice
    exceptions = _exceptions_of(statuses, purpose)
    return {subject_id: _SubjectView(b"", status, choices[subject_id],
                                     exceptions.get(subject_id, {}),
                                     for_recipients.get(subject_id, {}))
            for subject_id, status in statuses.items()}


def decide_all(subject_id) -> dict[str, Decision]:
    """Every purpose's decision for one subject (no categories), reading its state once."""
    catalog = rules()
    view = _subject_view(as_uuid(subject_id))
    if view is None:
        return dict.fromkeys(catalog.purposes, _UNKNOWN_SUBJECT)
    empty = frozenset()
    return {key: _judge(rule, empty, view) for key, rule in catalog.purposes.items()}


def decide_all_many(subject_ids: Iterable[uuid.UUID], statuses: dict[uuid.UUID, str] | None = None
                    ) -> dict[uuid.UUID, dict[str, Decision]]:
    """``decide_all`` for many subjects, read from the database in one go (no cache): for
    writers that need fresh decisions inside their transaction. ``statuses``: the subjects'
    statuses when the caller has just read them in this transaction."""
    catalog, empty = rules(), frozenset()
    views = _read_views({subject_id: b"" for subject_id in subject_ids}, statuses)
    return {subject_id: {key: _judge(rule, empty, view) for key, rule in catalog.purposes.items()}
            for subject_id, view in views.items()}


def _before_consent(rule: PurposeRule, view: _SubjectView,
                    bases: frozenset[str] | None = None) -> Decision | None:
    """The answer that the subject's status or a recorded §4.4 exception gives, if any; with
    ``bases``, only an exception under one of them counts."""
    if view.status != _ACTIVE:
        if view.status == _ERASED_STATUS:
            return _ERASED
        if rule.basis not in _RESTRICTED_OK:
            return _CANCELLED if view.status == SubjectStatus.CANCELLED else _RESTRICTED
    if view.exceptions:
        exceptions = view.exceptions.get(rule.key, ())
        now = timezone.now()
        for basis, expires_at in exceptions:
            if expires_at > now and (bases is None or basis in bases):
                return Decision(True, "exception_recorded", basis)
    return None


def _judge_for_recipient(rule: PurposeRule, cats: frozenset[str], view: _SubjectView,
                         recipient: str) -> Decision:
    """The purpose's own scopes, where the separate ones are looked up for this recipient,
    plus separate consent to provision to this recipient (Art. 23) in every case."""
    # Only an exception resting on PIPL Art. 13 itself stands in for the consent that names
    # the recipient (never "safe and stable operation" alone, policy §4.4(8)).
    answer = _before_consent(rule, view, rules().article_13)
    if answer is not None:
        return answer
    needs = rule.needs_sensitive if cats and not cats.isdisjoint(rule.sensitive) else rule.needs
    scopes = [scope for _, scope in needs]
    if not RECIPIENT_SCOPES.intersection(scopes):
        scopes.append("separate.third_party")
    missing, states = [], set()
    for scope in scopes:
        state = (view.recipient_choices.get((rule.key, scope, recipient))
                 if scope in RECIPIENT_SCOPES else view.choices.get((rule.key, scope)))
        if state != "grant":
            missing.append(scope)
            states.add(state)
    if missing:
        return _denial(tuple(missing), frozenset(states))
    return _RECIPIENT_GRANTED


_RECIPIENT_GRANTED = Decision(True, "consent_granted", "consent.separate")


def _judge(rule: PurposeRule, cats: frozenset[str], view: _SubjectView) -> Decision:
    purpose = rule.key
    if view.status != _ACTIVE or view.exceptions:
        answer = _before_consent(rule, view)
        if answer is not None:
            return answer
    if cats and rule.sensitive and not cats.isdisjoint(rule.sensitive):
        needs, granted = rule.needs_sensitive, rule.granted_sensitive
    else:
        needs, granted = rule.needs, rule.granted
    if not needs:
        return rule.allow
    choices = view.choices
    if len(needs) == 1:  # the usual case, without building tuples
        state = choices.get(needs[0])
        return granted if state == "grant" else _denial(needs[0][1:], frozenset((state,)))
    missing = tuple(key[1] for key in needs if choices.get(key) != "grant")
    if not missing:
        return granted
    return _denial(missing, frozenset(choices.get((purpose, scope)) for scope in missing))


@functools.cache
def _denial(missing: tuple[str, ...], states: frozenset) -> Decision:
    """The denial for these missing scopes and their states (a handful of shared answers)."""
    if "withdraw" in states:
        reason = "consent_withdrawn"
    elif "refuse" in states:
        reason = "consent_refused"
    elif missing == ("general",):
        reason = "consent_missing"
    else:
        reason = "separate_consent_missing"
    return Decision(False, reason, None, missing)
