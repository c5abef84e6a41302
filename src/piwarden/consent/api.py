"""The consent API at /api/v1/consent/.

- ``decisions``, ``functions`` and ``subjects/{id}/…``: the website's back-ends (API key with a
  ``consent:*`` scope) and staff.
- ``me/…``: the signed-in person, for their own choices only (session cookie with CSRF, or a
  personal access token: the account API's authentication).
- ``banner/…``: public, for the cookie banner script; no personal data goes out.
"""

import uuid

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.utils import check_csrf

from piwarden import metrics
from piwarden.accounts.auth import ACCOUNT_AUTH, AccountSessionAuth
from piwarden.api_errors import ApiError
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog.models import Purpose
from piwarden.clients.auth import STAFF_OR_CLIENT, require_scope
from piwarden.clients.models import Scope
from piwarden.consent import functions, notices, selectors, services
from piwarden.consent.decisions import InvalidSubject, UnknownKey, as_uuid, decide, prefetch
from piwarden.consent.models import Channel, ConsentEvent, Visitor
from piwarden.consent.schemas import (
    BannerChoiceIn,
    BannerChoiceOut,
    ChoiceBatch,
    ChoiceBatchOut,
    ChoiceIn,
    ChoiceResult,
    DecisionBatch,
    DecisionBatchOut,
    EventOut,
    FunctionOut,
    MyChoiceIn,
    PurposeStateOut,
)
from piwarden.policy.selectors import banner_version
from piwarden.subjects.models import Subject
from piwarden.web.ratelimit import allow, client_ip

router = Router(tags=["consent"])


def _me(request) -> Subject:
    """The signed-in person (session or personal access token), as a data subject."""
    return request.auth.subject


@router.post("/decisions", response=DecisionBatchOut, auth=STAFF_OR_CLIENT)
def decisions(request, batch: DecisionBatch):
    """Up to 1,000 questions "may purpose P process categories C of subject S now?"."""
    require_scope(request, Scope.CONSENT_DECIDE)
    # Serialized directly (the schema above documents it): 1,000 answers through the
    # response validator cost more than deciding them.
    return JsonResponse(answer_decisions(batch))


def answer_decisions(batch: DecisionBatch) -> dict:
    """The answers to a batch, in order, or ApiError 422 ``INVALID_ITEMS`` naming the items
    with unknown keys or subject ids (this endpoint's, and ``consent.fastpath``'s)."""
    subjects = []
    for item in batch.items:
        try:
            subjects.append(as_uuid(item.subject))
        except InvalidSubject:
            subjects.append(None)  # reported below, with its index
    prefetch([subject for subject in subjects if subject is not None])
    results, problems = [], []
    for index, item in enumerate(batch.items):
        try:
            results.append(decide(subjects[index] or item.subject, item.purpose,
                                  item.categories))
        except UnknownKey as exc:
            problems.append({"index": index, "code": f"UNKNOWN_{exc.kind.upper()}",
                             "keys": exc.keys})
        except InvalidSubject:
            problems.append({"index": index, "code": "INVALID_SUBJECT"})
    if problems:
        raise ApiError(422, "INVALID_ITEMS", "Some questions name unknown keys.", problems)
    metrics.DECISIONS.inc(len(results))
    return {"results": [{"allowed": d.allowed, "reason": d.reason, "legal_basis": d.legal_basis,
                         "missing_scopes": list(d.missing_scopes)} for d in results]}


def _subject(subject_id: uuid.UUID) -> Subject:
    return get_object_or_404(Subject, pk=subject_id)


@router.get("/subjects/{subject_id}/functions", response=list[FunctionOut], auth=STAFF_OR_CLIENT)
def subject_functions(request, subject_id: uuid.UUID, lang: str = "en"):
    """Which of the website's functions this person can use now, and what blocks the others."""
    require_scope(request, Scope.CONSENT_DECIDE)
    return functions.status(_subject(subject_id), lang)


@router.get("/subjects/{subject_id}/events", response=list[EventOut], auth=STAFF_OR_CLIENT)
def subject_events(request, subject_id: uuid.UUID):
    actor = require_scope(request, Scope.CONSENT_READ)
    subject = _subject(subject_id)
    events = list(selectors.history(subject))
    audit.record_read(actor=actor, action="consent.history_read", subjects=[subject],
                      categories=["user.consent"], detail={"events": len(events)})
    return events


@router.post("/subjects/{subject_id}/events", response={201: ChoiceResult}, auth=STAFF_OR_CLIENT)
def subject_record(request, subject_id: uuid.UUID, payload: ChoiceIn):
    """Record a choice the person made on the website (the site sends the notice it showed)."""
    actor = require_scope(request, Scope.CONSENT_WRITE)
    return Status(201, _result(record_choice(actor, subject_id, payload)))


def record_choice(actor: Actor, subject_id: uuid.UUID, payload: ChoiceIn) -> ConsentEvent:
    """Record one choice a site forwards (this endpoint's, and ``consent.fastpath``'s)."""
    return services.record_choice(
        actor=actor, subject_id=subject_id, purpose=payload.purpose, choice=payload.choice,
        scope=payload.scope, notice_text=payload.notice_text, channel=Channel.API,
        ip=payload.ip, user_agent=payload.user_agent,
    )


def choice_result(event: ConsentEvent) -> dict:
    """``ChoiceResult`` of a recorded event, as plain values (``consent.fastpath`` renders it
    without the response validator; tests/consent/test_fastpath.py compares the two)."""
    erasure = event.erasure
    return {"id": event.pk, "purpose": event.purpose, "scope": event.scope,
            "choice": event.choice, "bundled": event.bundled, "channel": event.channel,
            "policy_version": event.policy_version, "occurred_at": event.occurred_at,
            "notice_sha256": event.notice.sha256,
            "erasure_due": erasure.due_at if erasure else None}


@router.post("/events", response=ChoiceBatchOut, auth=STAFF_OR_CLIENT)
def record_batch(request, batch: ChoiceBatch):
    """Up to 100 choices people made on the website, recorded in one transaction; each item
    is recorded or refused on its own (``results`` in the order of ``items``)."""
    actor = require_scope(request, Scope.CONSENT_WRITE)
    subjects = Subject.objects.in_bulk({item.subject for item in batch.items})
    items, unknown = [], {}
    for index, item in enumerate(batch.items):
        if item.subject not in subjects:
            unknown[index] = services.ConsentError("UNKNOWN_SUBJECT", "No such data subject.")
            continue
        items.append({"subject": subjects[item.subject], "purpose": item.purpose,
                      "choice": item.choice, "scope": item.scope,
                      "notice_text": item.notice_text, "channel": Channel.API, "ip": item.ip,
                      "user_agent": item.user_agent})
    recorded = iter(services.record_many(actor=actor, items=items))
    results = [unknown[index] if index in unknown else next(recorded)
               for index in range(len(batch.items))]
    out = []
    for index, result in enumerate(results):
        if isinstance(result, services.ConsentError):
            out.append({"index": index, "status": "refused", "code": result.code,
                        "message": str(result)})
        else:
            out.append({"index": index, "status": "recorded", "event": result.pk,
                        "erasure_due": result.erasure and result.erasure.due_at})
    refused = sum(1 for item in out if item["status"] == "refused")
    return {"recorded": len(out) - refused, "refused": refused, "results": out}


def _result(event: ConsentEvent) -> ConsentEvent:
    """The event, with the erasure date when its withdrawal scheduled one (Art. 47)."""
    event.erasure_due = event.erasure and event.erasure.due_at
    return event


@router.get("/me/purposes", response=list[PurposeStateOut], auth=ACCOUNT_AUTH)
def my_purposes(request, lang: str = "en"):
    """Every purpose that takes consent, with my current choice."""
    return _purpose_states(_me(request), lang)


def _purpose_states(subject: Subject, lang: str) -> list[dict]:
    zh = notices.language(lang) == "zh-hans"
    users = functions.by_purpose()
    version = services.policy_version()
    out = []
    for row in selectors.choices_for(subject):
        state = row.state
        out.append({
            "purpose": row.purpose.key, "scope": row.scope,
            "name": row.purpose.name_zh if zh else row.purpose.name_en,
            "consent_needed": row.purpose.consent,
            "state": {"grant": "granted", "refuse": "refused", "withdraw": "withdrawn"}.get(
                state.choice if state else "", "not_asked"),
            "since": state and state.changed_at,
            "policy_version": state and state.policy_version,
            "erasure_due": row.erasure and row.erasure.due_at,
            "disables": users.get(row.purpose.key, []),
            **_notice(row, version, lang),
        })
    return out


def _notice(row, version: str, lang: str) -> dict:
    """The notice a choice shows: a separate consent not given yet shows its own notice
    (what, why, how long, the effect of refusing), whose digest the grant sends back."""
    if row.scope != "general" and not row.granted:
        text = notices.separate_notice(row.purpose, row.scope, version, lang).text
    else:
        text = notices.purpose_text(row.purpose, row.scope, version, lang)
    return {"notice": text, "notice_digest": notices.notice_digest(text)}


@router.post("/me/purposes", response={201: ChoiceResult}, auth=ACCOUNT_AUTH)
def my_choice(request, payload: MyChoiceIn):
    """Grant, refuse or withdraw one purpose; withdrawing is as easy as granting. A separate
    consent is granted only with ``notice_digest``, the digest of its own notice."""
    subject = _me(request)
    if not Purpose.objects.filter(key=payload.purpose, retired=False).exists():
        raise ApiError(404, "UNKNOWN_PURPOSE", f"There is no purpose '{payload.purpose}'.")
    event = services.choose(
        actor=Actor.person(subject), subject=subject, purpose=payload.purpose,
        choice=payload.choice, scope=payload.scope, lang=payload.lang,
        shown=payload.notice_digest, channel=Channel.API, ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return Status(201, _result(event))


@router.get("/me/events", response=list[EventOut], auth=ACCOUNT_AUTH)
def my_events(request):
    return list(selectors.history(_me(request)))


@router.get("/me/functions", response=list[FunctionOut], auth=ACCOUNT_AUTH)
def my_functions(request, lang: str = "en"):
    return functions.status(_me(request), lang)


@router.get("/banner/config", auth=None)
def banner_config(request, lang: str = "en"):
    """The categories, items and texts the banner shows (public, no personal data)."""
    return selectors.banner_config(banner_version() or services.policy_version(), lang)


@router.post("/banner/choices", response={201: BannerChoiceOut}, auth=None)
def banner_choice(request, payload: BannerChoiceIn, response: HttpResponse):
    """Record a visitor's banner choice in the ledger.

    The browser is known by a random visitor id, proven by the HttpOnly signed cookie set at its
    first choice (a script that reads the ``pw_consent`` cookie cannot speak for it). A signed-in
    account holder's choice goes to their account, with the usual CSRF check.
    """
    if not allow("banner", client_ip(request), limit=settings.PIWARDEN_BANNER_RATE, window=60):
        raise ApiError(429, "RATE_LIMITED", "Too many choices from this address; try later.")
    # A minor policy change keeps the banner's pin, so the banner does not ask again for it.
    version = banner_version() or services.policy_version()
    if (payload.policy_version, payload.inventory) != (version, selectors.inventory_hash()):
        raise ApiError(409, "STALE_BANNER", "The policy or cookie list changed; ask again.",
                       {"policy_version": version, "inventory": selectors.inventory_hash()})
    account = AccountSessionAuth().authenticate(request, None)
    subject = account.subject if account else None
    if subject is not None and check_csrf(request) is not None:
        raise ApiError(403, "CSRF_FAILED", "A signed-in choice needs the CSRF token.")
    actor = Actor.person(subject) if subject else Actor.system("banner")
    if subject is None:
        subject = _visitor(request, payload.visitor_id, actor, response)
    events = services.record_banner_choice(
        actor=actor, subject=subject, action=payload.action, choices=payload.choices,
        gpc=payload.gpc, lang=payload.lang, ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    granted = [e.purpose for e in events if e.choice == "grant"]
    return Status(201, {"recorded": len(events), "granted": granted})


def _visitor(request, claimed: uuid.UUID, actor: Actor, response: HttpResponse) -> Subject:
    """The visitor this browser proved to be, or a new one for its first choice."""
    proven = selectors.visitor_id(request)
    if proven is None:
        if Visitor.objects.filter(visitor_id=claimed).exists():
            raise ApiError(403, "VISITOR_NOT_PROVEN", "This browser cannot speak for that visitor.")
        proven = claimed
    subject = services.visitor_subject(actor=actor, visitor_id=proven)
    response.set_signed_cookie(
        selectors.VISITOR_COOKIE, str(proven), salt=selectors.VISITOR_SALT,
        max_age=180 * 86400, httponly=True, samesite="Lax", secure=request.is_secure())
    return subject
