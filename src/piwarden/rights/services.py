"""Every write of the rights app: each saves its rows, a ``RequestEvent`` and an audit record in
one transaction, and tells the person about the new status after the commit.

Export and erasure themselves are the ``subjectdata`` engine's (``start_export``,
``start_erasure``); this module decides when to call them and completes the request when they
report back (``on_subjectdata_done``).
"""

import contextlib
import contextvars
import datetime
import json
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog import labels
from piwarden.catalog.models import DataCategory, Purpose
from piwarden.discovery import screening
from piwarden.errors import ServiceError
from piwarden.jobs.services import enqueue_with_caller
from piwarden.rights import deadlines, notify
from piwarden.rights.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    RequestChannel,
    RequestEvent,
    RequestStatus,
    RequestType,
    RightsRequest,
)
from piwarden.subjects import registry
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.vault import files
from piwarden.vault import services as vault

log = logging.getLogger(__name__)

PURPOSE = "rights.requests"
DETAILS_FIELD = "rights_details"
CONTACT_FIELD = "rights_contact"
# Evidence files are sealed (vault/files.py) under this vault value of the person.
EVIDENCE_KEY = "rights_evidence_key"
EVIDENCE_KIND = "rights.evidence"
S = RequestStatus
_NEXT = {
    S.RECEIVED: {S.VERIFYING, S.VERIFIED, S.REFUSED, S.WITHDRAWN},
    S.VERIFYING: {S.VERIFIED, S.REFUSED, S.WITHDRAWN},
    S.VERIFIED: {S.IN_PROGRESS, S.REFUSED, S.WITHDRAWN},
    S.IN_PROGRESS: {S.COMPLETED, S.REFUSED, S.WITHDRAWN},
}
# Fields a correction request may name (accounts.services.FIELDS without secrets and the logo).
CORRECTABLE = ("name", "contact_other", "address", "user_name", "id_info", "phone", "email")
# Fields the person may correct without staff review (accounts.services.set_field).
SELF_SERVICE = ("name", "contact_other", "address", "user_name")
REMIND_BUSINESS_DAYS = 2


class RightsError(ServiceError):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(code, message, status=status)


def cooling_off_days() -> int:
    return settings.PIWARDEN_CANCELLATION_COOLING_OFF_DAYS


def _audit(actor: Actor, action: str, req: RightsRequest, detail: dict | None = None,
           purpose: str = PURPOSE) -> None:
    audit.record(actor=actor, action=f"rights.{action}", subject=req.subject, obj=req,
                 categories=["user.rights_request"], purpose=purpose,
                 legal_basis="legal_obligation",
                 detail={"type": req.type, "status": req.status, **(detail or {})})


def _in_both(message) -> dict[str, str]:
    """``message()`` worded in each language of the privacy center."""
    texts = {}
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            texts[lang] = str(message())
    return texts


def _refuse(req: RightsRequest, actor: Actor, texts: dict[str, str]) -> RightsRequest:
    """A refusal the system words itself, kept in both languages: the person reads it in the
    language of the page they open, whichever language they made the request in."""
    req.refusal_reason = texts["zh-hans" if req.params.get("lang") == "zh-hans" else "en"]
    req.params = {**req.params, "refusal": texts}
    return _transition(req, S.REFUSED, actor=actor, fields=("refusal_reason", "params"))


def _transition(req: RightsRequest, to: RequestStatus, *, actor: Actor, note: str = "",
                fields: tuple[str, ...] = (), extra_link: str = "",
                link_days: int | None = None) -> RightsRequest:
    if to not in _NEXT.get(RequestStatus(req.status), set()):
        raise RightsError("INVALID_TRANSITION",
                          _("This request cannot go from “%(from)s” to “%(to)s”.")
                          % {"from": req.get_status_display(), "to": RequestStatus(to).label},
                          status=409)
    previous = req.status
    req.status = to
    if to in CLOSED_STATUSES:
        req.closed_at = timezone.now()
    req.save(update_fields=["status", "closed_at", *fields])
    RequestEvent.objects.create(request=req, status_from=previous, status_to=to,
                                actor=str(actor), note=note)
    _audit(actor, "status_changed", req, {"from": previous, "to": str(to)})
    _notify(req, extra_link=extra_link, link_days=link_days)
    return req


_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar("rights_notices",
                                                                     default=None)


def _notify(req: RightsRequest, *, extra_link: str = "", link_days: int | None = None) -> None:
    """Queued in the outbox in this change's transaction: the notice commits with the change
    (a crash after the commit cannot lose it) and is sent after it. Inside ``_one_notice``
    only the request's last status of the batch is sent."""
    batch = _batch.get()
    if batch is not None:
        _old, link, days = batch.get(req.pk, (None, "", None))
        batch[req.pk] = (req, extra_link or link, link_days or days)
        return
    notify.notify_person(req, extra_link=extra_link, link_days=link_days)


@contextlib.contextmanager
def _one_notice():
    """Steps that happen together (received → verified → in progress, or on to completed)
    are one event for the person: one message with where the request stands at the end,
    not one message per step in the same second (issue 17 point 6)."""
    if _batch.get() is not None:  # an outer batch sends it
        yield
        return
    token = _batch.set({})
    try:
        yield
        pending = _batch.get()
    finally:
        _batch.reset(token)
    for req, link, days in pending.values():
        notify.notify_person(req, extra_link=link, link_days=days)


def _locked(req: RightsRequest) -> RightsRequest:
    return RightsRequest.objects.select_for_update().select_related("subject").get(pk=req.pk)


# --- details in the vault ------------------------------------------------------------------

def _all_details(subject: Subject) -> dict:
    try:
        raw = vault.reveal(actor=Actor.system("rights"), subject=subject, field=DETAILS_FIELD,
                           purpose=PURPOSE)
    except vault.VaultError:
        return {}
    return json.loads(raw) if raw else {}


def details(req: RightsRequest) -> str:
    """The free text of a request (the corrected value, the question), from the vault."""
    return _all_details(req.subject).get(str(req.pk), "") if req.has_details else ""


def _store_details(actor: Actor, req: RightsRequest, text: str) -> None:
    # read-modify-write of one vault value: serialise writers of the subject first
    Subject.objects.select_for_update(no_key=True).filter(pk=req.subject_id).first()
    stored = _all_details(req.subject)
    stored[str(req.pk)] = text
    vault.put(actor=actor, subject=req.subject, field=DETAILS_FIELD,
              value=json.dumps(stored, ensure_ascii=False), purpose=PURPOSE)


# --- intake --------------------------------------------------------------------------------

def _clean_params(subject: Subject, type_: str, params: dict, text: str) -> dict:
    params = dict(params or {})
    clean = {"lang": "zh-hans" if str(params.get("lang", "")).startswith("zh") else "en"}
    if type_ == RequestType.DELETION:
        categories = sorted(set(params.get("categories") or []))
        unknown = set(categories) - set(DataCategory.objects.filter(key__in=categories)
                                          .values_list("key", flat=True))
        if unknown:
            raise RightsError("CATEGORY_UNKNOWN", _("Unknown data category."))
        clean["categories"] = categories  # empty: everything held about the person
    elif type_ == RequestType.WITHDRAWAL:
        purpose = params.get("purpose") or ""
        if not Purpose.objects.filter(key=purpose).exists():
            raise RightsError("PURPOSE_UNKNOWN", _("Choose the purpose to withdraw."))
        clean["purpose"] = purpose
        clean["scope"] = params.get("scope") or "general"
    elif type_ == RequestType.CORRECTION:
        if params.get("field") not in CORRECTABLE:
            raise RightsError("FIELD_UNKNOWN", _("Choose the information to correct."))
        clean["field"] = params["field"]
        if not text.strip():
            raise RightsError("DETAILS_REQUIRED", _("Write the correct value."))
    elif type_ in (RequestType.EXPLANATION, RequestType.COMPLAINT):
        if not text.strip():
            raise RightsError("DETAILS_REQUIRED", _("Write your question or complaint."))
    elif type_ == RequestType.CANCELLATION:
        if not hasattr(subject, "account"):
            raise RightsError("NO_ACCOUNT", _("There is no account to cancel."), status=409)
        if subject.rights_requests.filter(type=RequestType.CANCELLATION,
                                          status__in=OPEN_STATUSES).exists():
            raise RightsError("ALREADY_REQUESTED",
                              _("A cancellation of this account is already under way."),
                              status=409)
    return clean


@transaction.atomic
def submit(*, actor: Actor, subject: Subject, type: str, channel: str, params: dict | None = None,
           text: str = "", verified: bool = False, evidence=None) -> RightsRequest:
    """Record a request. ``verified`` when the caller already proved who the person is (fresh
    identity check, a code sent to the contact on file, staff checked the evidence); such a
    request goes straight on to processing."""
    try:
        type_, channel = RequestType(type), RequestChannel(channel)
    except ValueError:
        raise RightsError("VALIDATION_ERROR", _("Unknown request type or channel.")) from None
    if subject.status == SubjectStatus.ERASED:
        raise RightsError("SUBJECT_ERASED", _("Nothing is held about this person any more."),
                          status=409)
    if channel == RequestChannel.STAFF and not evidence:
        raise RightsError("EVIDENCE_REQUIRED", _("Attach the written or e-mailed request."))
    if len(text) > 4000:
        raise RightsError("DETAILS_TOO_LONG", _("Keep the details under 4000 characters."))
    clean = _clean_params(subject, type_, params or {}, text)
    received = timezone.now()
    due, provisional = deadlines.due_date(timezone.localdate(received))
    req = RightsRequest(subject=subject, type=type_, channel=channel, received_at=received,
                        due_date=due, due_provisional=provisional, params=clean,
                        has_details=bool(text.strip()))
    text = screening.screen(text.strip(), actor=actor, subject=subject, purpose=PURPOSE,
                            field=DETAILS_FIELD, source="rights.submit", max_length=4000,
                            expected=_typed_categories(clean)).text
    if evidence:
        _seal_evidence(actor, req, screening.screen_upload(
            evidence, actor=actor, subject=subject, purpose=PURPOSE, field=EVIDENCE_KEY,
            source="rights.submit"))
    req.save()
    if text:
        _store_details(actor, req, text)
    RequestEvent.objects.create(request=req, status_to=S.RECEIVED, actor=str(actor))
    _audit(actor, "request_received", req, {"channel": channel, "due_date": due.isoformat(),
                                            "provisional": provisional})
    transaction.on_commit(lambda: _schedule_deadline_checks(due))
    if verified:
        with _one_notice():
            return verify(actor=actor, rights_request=req)
    _notify(req)
    return req


def _typed_categories(params: dict) -> list[str]:
    """A correction's text is the new value of its field: that field's category is expected
    in it (an ID number corrected stays an ID number)."""
    from piwarden.accounts.services import FIELDS

    return [FIELDS[params["field"]][1]] if "field" in params else []


def _seal_evidence(actor: Actor, req: RightsRequest, upload) -> None:
    try:
        sealed = files.seal_upload(actor=actor, subject=req.subject, field=EVIDENCE_KEY,
                                   purpose=PURPOSE, kind=EVIDENCE_KIND, owner_id=req.pk,
                                   upload=upload, types=files.DOCUMENTS)
    except files.FileRefused as exc:
        raise RightsError(exc.code, exc.message) from None
    req.evidence.save(sealed.name, sealed, save=False)


def read_evidence(*, actor: Actor, rights_request: RightsRequest) -> tuple[bytes, str]:
    """The evidence file and its type, for staff (the caller checks ``rights.view_evidence``);
    audited. RightsError EVIDENCE_GONE once it was erased. Not one transaction: a refused
    reveal of the key keeps its own audit record."""
    req = rights_request
    try:
        data, kind = files.open_stored(
            actor=actor, subject=req.subject, field=EVIDENCE_KEY, purpose=PURPOSE,
            kind=EVIDENCE_KIND, owner_id=req.pk, stored=req.evidence,
            reason=f"rights request {req.pk}: open the evidence")
    except (files.FileGone, vault.VaultError):
        raise RightsError("EVIDENCE_GONE", _("The evidence was erased or cannot be opened."),
                          status=410) from None
    with transaction.atomic():
        _audit(actor, "evidence_viewed", req)
    return data, kind


@transaction.atomic
def require_evidence(*, actor: Actor, rights_request: RightsRequest, note: str) -> RightsRequest:
    """Staff ask for more proof of identity (never more than was collected at sign-up)."""
    if not note.strip():
        raise RightsError("NOTE_REQUIRED", _("Say what evidence is needed."))
    req = _locked(rights_request)
    req.staff_note = note.strip()
    return _transition(req, S.VERIFYING, actor=actor, note=note.strip(), fields=("staff_note",))


@transaction.atomic
def verify(*, actor: Actor, rights_request: RightsRequest) -> RightsRequest:
    """Identity proven: the request is processed at once."""
    req = _locked(rights_request)
    req.verified_at = timezone.now()
    with _one_notice():
        _transition(req, S.VERIFIED, actor=actor, fields=("verified_at",))
        return _process(actor, req)


@transaction.atomic
def refuse(*, actor: Actor, rights_request: RightsRequest, reason: str) -> RightsRequest:
    """A refusal always carries its reason; the message names the routes to complain or sue."""
    if not reason.strip():
        raise RightsError("REASON_REQUIRED", _("A refusal needs its reason."))
    req = _locked(rights_request)
    req.refusal_reason = reason.strip()
    return _transition(req, S.REFUSED, actor=actor, fields=("refusal_reason",))


@transaction.atomic
def withdraw(*, actor: Actor, rights_request: RightsRequest) -> RightsRequest:
    """The person takes the request back, as long as nothing irreversible has started."""
    req = _locked(rights_request)
    if req.export_archive_id or req.erasure_run_id or req.cancellation_started_at:
        raise RightsError("ALREADY_PROCESSING",
                          _("This request is already being carried out."), status=409)
    return _transition(req, S.WITHDRAWN, actor=actor)


@transaction.atomic
def answer(*, actor: Actor, rights_request: RightsRequest, text: str) -> RightsRequest:
    """Staff answer an explanation request or a complaint (or close a correction review)."""
    if not text.strip():
        raise RightsError("ANSWER_REQUIRED", _("Write the answer."))
    req = _locked(rights_request)
    if req.status != S.IN_PROGRESS:
        raise RightsError("NOT_IN_PROGRESS", _("Only a request in progress can be answered."),
                          status=409)
    req.answer = text.strip()
    return _transition(req, S.COMPLETED, actor=actor, fields=("answer",))


# --- processing ----------------------------------------------------------------------------

def _process(actor: Actor, req: RightsRequest) -> RightsRequest:
    if req.type == RequestType.CANCELLATION:
        return _begin_cancellation(actor, req)
    _transition(req, S.IN_PROGRESS, actor=actor)
    if req.type in (RequestType.ACCESS, RequestType.PORTABILITY):
        from piwarden.subjectdata import services as subjectdata

        archive = subjectdata.start_export(actor=actor, subject=req.subject,
                                           lang=req.params.get("lang", "en"),
                                           request_ref=str(req.pk))
        req.export_archive_id = archive.pk
        req.save(update_fields=["export_archive_id"])
    elif req.type == RequestType.DELETION:
        from piwarden.subjectdata import services as subjectdata

        _capture_contact(actor, req)
        run = subjectdata.start_erasure(actor=actor, subject=req.subject,
                                        categories=req.params.get("categories") or None,
                                        reason=f"rights request {req.pk}",
                                        request_ref=str(req.pk))
        req.erasure_run_id = run.pk
        req.save(update_fields=["erasure_run_id", "contact_holder"])
    elif req.type == RequestType.WITHDRAWAL:
        _withdraw_consent(actor, req)
    elif req.type == RequestType.CORRECTION:
        _correct(actor, req)
    return req


def _withdraw_consent(actor: Actor, req: RightsRequest) -> None:
    """Withdraw every scope the person granted for the purpose (or record the withdrawal in
    the purpose's own scope when none is on record)."""
    from piwarden.consent import services as consent
    from piwarden.consent.models import Channel, Choice, ConsentState

    purpose = req.params["purpose"]
    channel = {RequestChannel.API: Channel.API, RequestChannel.STAFF: Channel.OFFLINE}.get(
        req.channel, Channel.WEB)
    try:
        scopes = list(ConsentState.objects.filter(subject=req.subject, purpose=purpose,
                                                  choice=Choice.GRANT)
                      .values_list("scope", flat=True)) or list(
            consent.applicable_scopes(purpose)[:1])
        for scope in scopes:
            consent.withdraw(actor=actor, subject=req.subject, purpose=purpose, scope=scope,
                             channel=channel,
                             notice_text=f"Withdrawal of authorization for {purpose} "
                                         f"(rights request {req.pk})")
    except consent.ConsentError as exc:
        code = exc.code
        _refuse(req, actor, _in_both(
            lambda: _("The authorization could not be withdrawn: %(why)s")
            % {"why": labels.error(code)}))
        return
    _transition(req, S.COMPLETED, actor=actor)


def _correct(actor: Actor, req: RightsRequest) -> None:
    """Self-editable fields of an account are corrected at once; immutable ones (and contact
    values, which only a code proves) wait for staff review with the evidence."""
    from piwarden.accounts import conf
    from piwarden.accounts import services as accounts
    from piwarden.accounts.errors import AccountError

    field = req.params["field"]
    account = getattr(req.subject, "account", None)
    if account is None or field not in SELF_SERVICE or field in conf.immutable_fields():
        req.staff_note = "Staff review: check the evidence, then apply or refuse."
        req.save(update_fields=["staff_note"])
        _audit(actor, "correction_review", req, {"field": field})
        return
    value = details(req)
    if field == "address":
        try:
            value = json.loads(value)
        except ValueError:
            value = {"street": value}
    try:
        accounts.set_field(account=account, field=field, value=value, channel="web")
    except AccountError as exc:
        code, message = exc.code, exc.message
        _refuse(req, actor, _in_both(
            lambda: labels.error(code) if code in labels.error_codes() else str(message)))
        return
    _transition(req, S.COMPLETED, actor=actor, note=f"field {field} corrected")


@transaction.atomic
def apply_correction(*, actor: Actor, rights_request: RightsRequest) -> RightsRequest:
    """Staff apply a reviewed correction (immutable fields, non-account subjects)."""
    from piwarden.accounts import services as accounts

    req = _locked(rights_request)
    if req.type != RequestType.CORRECTION or req.status != S.IN_PROGRESS:
        raise RightsError("NOT_APPLICABLE", _("Only a correction in progress can be applied."),
                          status=409)
    field = req.params["field"]
    account = getattr(req.subject, "account", None)
    if account is not None:
        try:
            accounts.correct_field(actor=actor, account=account, field=field, value=details(req))
        except accounts.AccountError as exc:
            raise RightsError(exc.code, exc.message) from exc
    elif not accounts.FIELDS[field][0]:
        raise RightsError("NOT_APPLICABLE", _("This person has no account."), status=409)
    else:
        try:
            vault.put(actor=actor, subject=req.subject, field=accounts.FIELDS[field][0],
                      value=details(req), purpose=accounts.FIELDS[field][2])
        except vault.VaultError as exc:
            raise RightsError("VALUE_INVALID", _("This value is not valid.")) from exc
    _audit(actor, "correction_applied", req, {"field": field})
    return _transition(req, S.COMPLETED, actor=actor, note=f"field {field} corrected by staff")


# --- account cancellation ------------------------------------------------------------------

def cancellation_reminders(subject: Subject) -> list[registry.Reminder]:
    return registry.prechecks(subject)


def _begin_cancellation(actor: Actor, req: RightsRequest) -> RightsRequest:
    blocking = [r for r in cancellation_reminders(req.subject) if r.blocking]
    if blocking:
        return _refuse(req, actor, {"en": "; ".join(r.message_en for r in blocking),
                                    "zh-hans": "；".join(r.message_zh for r in blocking)})
    req.cooling_off_until = timezone.now() + datetime.timedelta(days=cooling_off_days())
    _transition(req, S.IN_PROGRESS, actor=actor, fields=("cooling_off_until",),
                note=f"cooling-off until {req.cooling_off_until.date().isoformat()}")
    pk, when = req.pk, req.cooling_off_until
    _enqueue_cancellation(pk, when)
    return req


def _enqueue_cancellation(pk, when) -> None:
    from piwarden.rights.tasks import execute_cancellation

    if execute_cancellation.get_backend().supports_defer:
        enqueue_with_caller(execute_cancellation.using(run_after=when), str(pk))
    else:  # a backend without deferral: the task checks the time itself, rerun it daily
        log.warning("task backend cannot defer; run the cancellation task after cooling-off")


@transaction.atomic
def undo_cancellation(*, actor: Actor, rights_request: RightsRequest) -> RightsRequest:
    req = _locked(rights_request)
    if req.type != RequestType.CANCELLATION or req.status != S.IN_PROGRESS:
        raise RightsError("NOT_APPLICABLE", _("There is no cancellation to undo."), status=409)
    if req.cancellation_started_at:
        raise RightsError("ALREADY_PROCESSING",
                          _("The cooling-off period is over; the account is being cleared."),
                          status=409)
    return _transition(req, S.WITHDRAWN, actor=actor, note="cancellation undone")


@transaction.atomic
def execute_cancellation(*, actor: Actor, request_id) -> RightsRequest | None:
    """After the cooling-off period: end every session, keep the contact address aside, clear
    the account's data (``start_erasure(categories=None)``). Idempotent."""
    from piwarden.accounts import services as accounts
    from piwarden.subjectdata import services as subjectdata

    req = RightsRequest.objects.select_for_update().select_related("subject").filter(
        pk=request_id).first()
    if (req is None or req.type != RequestType.CANCELLATION or req.status != S.IN_PROGRESS
            or req.cancellation_started_at or req.cooling_off_until > timezone.now()):
        return req
    _capture_contact(actor, req)
    account = getattr(req.subject, "account", None)
    if account is not None:
        accounts.end_all_sessions(account=account)
        account.user.is_active = False
        account.user.save(update_fields=["is_active"])
    run = subjectdata.start_erasure(actor=actor, subject=req.subject, categories=None,
                                    reason=f"account cancellation {req.pk}",
                                    request_ref=str(req.pk))
    req.erasure_run_id = run.pk
    req.cancellation_started_at = timezone.now()
    req.save(update_fields=["contact_holder", "erasure_run_id", "cancellation_started_at"])
    RequestEvent.objects.create(request=req, status_from=req.status, status_to=req.status,
                                actor=str(actor), note="sessions ended; erasure started")
    _audit(actor, "cancellation_started", req, {"erasure_run": str(run.pk)},
           purpose="account.cancellation")
    return req


def _capture_contact(actor: Actor, req: RightsRequest) -> None:
    """Keep the contact address aside (under its own subject's vault key) before an erasure
    that may delete it, so the confirmation still reaches the person.

    How long the address is kept (issue 17 point 11): only until the confirmation is queued.
    ``on_subjectdata_done`` queues it after the commit and at once shreds this holder's key
    (``_forget_contact``); the outbox keeps its own sealed copy only until the message is
    sent or given up, then wipes it. The certificate link in that message (a random token,
    only its hash stored, 90 days) needs no address at all."""
    from piwarden.subjects.services import create_subject

    contact = notify.contact_of(req.subject)
    if contact is not None:
        holder = create_subject(actor=actor, kind=SubjectKind(req.subject.kind))
        vault.put(actor=actor, subject=holder, field=CONTACT_FIELD,
                  value=json.dumps(list(contact)), purpose=PURPOSE)
        req.contact_holder = holder


def _captured_contact(req: RightsRequest) -> tuple[str, str] | None:
    if req.contact_holder_id is None:
        return None
    try:
        raw = vault.reveal(actor=Actor.system("rights.notify"), subject=req.contact_holder,
                           field=CONTACT_FIELD, purpose=PURPOSE)
    except vault.VaultError:
        return None
    return tuple(json.loads(raw)) if raw else None


# --- completion from the subjectdata engine -------------------------------------------------

@transaction.atomic
def on_subjectdata_done(kind: str, obj) -> None:
    """``subjectdata.services.on_done`` callback: the export is ready or the erasure is done."""
    try:  # exports and erasures started by staff or a command carry other references
        ref = uuid.UUID(obj.request_ref)
    except (TypeError, ValueError):
        return
    req = (RightsRequest.objects.select_for_update().select_related("subject")
           .filter(pk=ref).first())
    if req is None or req.status != S.IN_PROGRESS:
        return
    actor = Actor.system("rights.completion")
    if kind == "export":
        _transition(req, S.COMPLETED, actor=actor, note="export ready",
                    extra_link=notify.site_url() + obj.get_absolute_url())
        return
    from piwarden.subjectdata import services as subjectdata

    link_days = None
    if obj.categories is None:  # everything went, the account too: a link without a login
        link = notify.site_url() + subjectdata.issue_certificate_link(actor=actor, run=obj)
        link_days = subjectdata.LINK_DAYS
    else:
        link = notify.site_url() + f"/privacy/data/certificates/{obj.pk}/"
    if req.contact_holder_id is not None:
        contact = _captured_contact(req)
        holder = req.contact_holder
        previous = req.status
        req.status = S.COMPLETED
        req.closed_at = timezone.now()
        req.contact_holder = None
        req.save(update_fields=["status", "closed_at", "contact_holder"])
        RequestEvent.objects.create(request=req, status_from=previous, status_to=S.COMPLETED,
                                    actor=str(actor), note="erasure done")
        _audit(actor, "status_changed", req, {"from": previous, "to": S.COMPLETED})
        pk = req.pk

        def confirm_and_forget():
            fresh = RightsRequest.objects.get(pk=pk)
            notify.notify_person(fresh, contact=contact, extra_link=link, link_days=link_days)
            _forget_contact(holder)

        transaction.on_commit(confirm_and_forget)
        return
    _transition(req, S.COMPLETED, actor=actor, note="erasure done", extra_link=link,
                link_days=link_days)


@transaction.atomic
def _forget_contact(holder: Subject) -> None:
    from piwarden.subjects.services import change_status

    actor = Actor.system("rights.cancellation")
    vault.shred(actor=actor, subject=holder, reason="cancellation confirmation sent")
    change_status(actor=actor, subject=holder, status=SubjectStatus.ERASED,
                  reason="cancellation confirmation sent")


# --- deadlines -----------------------------------------------------------------------------

def _schedule_deadline_checks(due: datetime.date) -> None:
    from piwarden.rights.tasks import deadline_notices

    if not deadline_notices.get_backend().supports_defer:  # `piwarden rights_deadlines` does it
        return
    tz = timezone.get_current_timezone()
    for day in (due - datetime.timedelta(days=REMIND_BUSINESS_DAYS),
                due + datetime.timedelta(days=1)):
        when = datetime.datetime.combine(day, datetime.time(9), tzinfo=tz)
        deadline_notices.using(run_after=when).enqueue()


@transaction.atomic
def send_deadline_notices(*, actor: Actor, today: datetime.date | None = None) -> dict:
    """Remind staff of requests due within two business days; escalate overdue ones. Each
    request gets at most one reminder and one escalation."""
    today = today or timezone.localdate()
    open_requests = RightsRequest.objects.select_for_update().filter(status__in=OPEN_STATUSES)
    overdue = list(open_requests.filter(due_date__lt=today, escalated_at=None))
    soon = [r for r in open_requests.filter(due_date__gte=today, reminded_at=None)
            if deadlines.business_days_between(today, r.due_date) <= REMIND_BUSINESS_DAYS]
    now = timezone.now()
    for req in soon:
        req.reminded_at = now
        req.save(update_fields=["reminded_at"])
        _audit(actor, "deadline_reminded", req, {"due_date": req.due_date.isoformat()})
    for req in overdue:
        req.escalated_at = now
        req.save(update_fields=["escalated_at"])
        _audit(actor, "deadline_escalated", req, {"due_date": req.due_date.isoformat()})
    if soon or overdue:
        text = "\n".join(
            [f"OVERDUE since {r.due_date}: {r.get_type_display()} {r.pk} "
             f"{notify.site_url()}/admin/rights/rightsrequest/{r.pk}/change/" for r in overdue]
            + [f"Due {r.due_date}: {r.get_type_display()} {r.pk} "
               f"{notify.site_url()}/admin/rights/rightsrequest/{r.pk}/change/" for r in soon])
        line = (f"[piwarden] {len(overdue)} rights request(s) overdue, {len(soon)} due soon"
                if overdue else f"[piwarden] {len(soon)} rights request(s) due soon")
        transaction.on_commit(lambda: notify.notify_staff(line, text))
    return {"reminded": len(soon), "escalated": len(overdue)}


# --- the registry: this app's own data and precheck ----------------------------------------

def legal_hold_precheck(subject: Subject) -> list[registry.Reminder]:
    """A restricted subject (legal hold) cannot be erased now: a blocking reminder."""
    if subject.status != SubjectStatus.RESTRICTED:
        return []
    contact = notify.handler_contact()
    return [registry.Reminder(
        code="rights.legal_hold",
        message_en="Processing of your information is restricted under a legal hold; the "
                   "account cannot be cleared until it ends. Contact us for details.",
        message_zh="您的个人信息因法律保全而被限制处理，保全结束前无法清除账户。详情请联系我们。",
        settle_url=f"mailto:{contact}" if contact else "/privacy/requests/", blocking=True)]


def open_requests_precheck(subject: Subject) -> list[registry.Reminder]:
    """An open request (other than the cancellation itself) is a reminder, not a block."""
    pending = subject.rights_requests.filter(status__in=OPEN_STATUSES).exclude(
        type=RequestType.CANCELLATION).count()
    if not pending:
        return []
    return [registry.Reminder(
        code="rights.open_request",
        message_en=f"You have {pending} privacy request(s) still open; cancelling ends them.",
        message_zh=f"您有{pending}个个人信息权利请求尚未办结，注销账户后将一并终止。",
        settle_url="/privacy/requests/")]


# --- the official calendar -----------------------------------------------------------------

@transaction.atomic
def set_official_days(*, actor: Actor, days: dict[datetime.date, bool], note: str = "") -> int:
    """Load the official schedule (State Council notice): date -> is a workday. Overrides
    chinesecalendar and the fallback; due dates of requests already received stay as set."""
    from piwarden.rights.models import OfficialDay

    for day, workday in days.items():
        OfficialDay.objects.update_or_create(date=day, defaults={"is_workday": bool(workday),
                                                                 "note": note[:100]})
    if days:
        audit.record(actor=actor, action="rights.calendar_loaded",
                     detail={"days": len(days), "first": min(days).isoformat(),
                             "last": max(days).isoformat()})
    return len(days)
