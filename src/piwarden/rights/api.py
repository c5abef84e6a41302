"""The rights API at /api/v1/rights/.

- ``me/requests…``: the signed-in person (session with CSRF or a personal access token); a
  new request needs a fresh identity check (``POST /api/v1/account/reauth`` first).
- ``requests…``: staff and the website's back-ends (``rights:read`` / ``rights:write``), e.g.
  a request received by the website's own customer service.
"""

import uuid

from ninja import Router, Status

from piwarden.accounts import stepup
from piwarden.accounts.auth import ACCOUNT_AUTH
from piwarden.api_errors import ApiError
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.clients.auth import STAFF_OR_CLIENT, require_scope
from piwarden.clients.models import Scope
from piwarden.consent.notices import check_version
from piwarden.rights import selectors, services
from piwarden.rights.models import RequestChannel, RequestStatus, RightsRequest
from piwarden.rights.schemas import (
    ReasonIn,
    RequestIn,
    RequestOut,
    StaffRequestIn,
    StaffRequestOut,
)
from piwarden.subjects.models import Subject

router = Router(tags=["rights"])
# What a staff read of requests hands out, named in its audit record (docs/audit.md).
_CATEGORY, _PURPOSE = "user.rights_request", services.PURPOSE


def _out(req: RightsRequest, *, staff: bool = False) -> dict:
    done = req.status == RequestStatus.COMPLETED
    data = {
        "id": req.pk, "type": req.type, "channel": req.channel, "status": req.status,
        "received_at": req.received_at, "due_date": req.due_date,
        "due_provisional": req.due_provisional, "params": req.params,
        "staff_note": req.staff_note, "refusal_reason": req.refusal_reason,
        "answer": req.answer, "cooling_off_until": req.cooling_off_until,
        "export_url": (f"/privacy/data/exports/{req.export_archive_id}/"
                       if done and req.export_archive_id else None),
        "certificate_url": (f"/privacy/data/certificates/{req.erasure_run_id}/"
                            if done and req.erasure_run_id else None),
        "events": [{"at": e.at, "status_from": e.status_from, "status_to": e.status_to,
                    "note": e.note} for e in req.events.all()],
    }
    if staff:
        data.update(subject=req.subject_id, overdue=req.is_overdue)
    return data


def _params(body: RequestIn) -> dict:
    return {"categories": body.categories, "purpose": body.purpose, "field": body.field,
            "lang": body.lang}


# --- the person -----------------------------------------------------------------------------

@router.get("/me/requests", response=list[RequestOut], auth=ACCOUNT_AUTH)
def my_requests(request):
    return [_out(r) for r in selectors.requests_of(request.auth.subject)]


@router.get("/me/requests/{request_id}", response=RequestOut, auth=ACCOUNT_AUTH)
def my_request(request, request_id: uuid.UUID):
    req = selectors.request_of(request.auth.subject, request_id)
    if req is None:
        raise ApiError(404, "NOT_FOUND", "No such request.")
    return _out(req)


@router.post("/me/requests", response={201: RequestOut}, auth=ACCOUNT_AUTH)
def my_new_request(request, body: RequestIn):
    if not stepup.is_fresh(request):
        raise ApiError(403, "REAUTH_REQUIRED", "Confirm it is you first (POST /account/reauth).")
    check_version(body.notice_version)
    subject = request.auth.subject
    req = services.submit(actor=Actor.person(subject), subject=subject, type=body.type,
                          channel=RequestChannel.API, params=_params(body), text=body.text,
                          verified=True)
    return Status(201, _out(req))


@router.post("/me/requests/{request_id}/withdraw", response=RequestOut, auth=ACCOUNT_AUTH)
def my_withdraw(request, request_id: uuid.UUID):
    subject = request.auth.subject
    req = selectors.request_of(subject, request_id)
    if req is None:
        raise ApiError(404, "NOT_FOUND", "No such request.")
    if req.type == "cancellation":
        req = services.undo_cancellation(actor=Actor.person(subject), rights_request=req)
    else:
        req = services.withdraw(actor=Actor.person(subject), rights_request=req)
    return _out(req)


# --- staff and back-ends --------------------------------------------------------------------

def _get(request_id) -> RightsRequest:
    req = RightsRequest.objects.filter(pk=request_id).select_related("subject").first()
    if req is None:
        raise ApiError(404, "NOT_FOUND", "No such request.")
    return req


@router.get("/requests", response=list[StaffRequestOut], auth=STAFF_OR_CLIENT)
def list_requests(request, status: str | None = None, subject: uuid.UUID | None = None):
    """Open requests by due date (or filtered by status / subject)."""
    actor = require_scope(request, Scope.RIGHTS_READ)
    rows = RightsRequest.objects.order_by("due_date", "received_at")
    if status:
        rows = rows.filter(status=status)
    if subject:
        rows = rows.filter(subject_id=subject)
    rows = list(rows[:500])
    if rows:
        audit.record_read(actor=actor, action="rights.requests_read",
                          subjects=[r.subject_id for r in rows if r.subject_id],
                          categories=[_CATEGORY], purpose=_PURPOSE,
                          detail={"count": len(rows)})
    return [_out(r, staff=True) for r in rows]


@router.get("/requests/{request_id}", response=StaffRequestOut, auth=STAFF_OR_CLIENT)
def get_request(request, request_id: uuid.UUID):
    actor = require_scope(request, Scope.RIGHTS_READ)
    req = _get(request_id)
    audit.record_read(actor=actor, action="rights.request_read",
                      subjects=[req.subject_id] if req.subject_id else [],
                      categories=[_CATEGORY], purpose=_PURPOSE, obj=req)
    return _out(req, staff=True)


@router.post("/requests", response={201: StaffRequestOut}, auth=STAFF_OR_CLIENT)
def submit_request(request, body: StaffRequestIn):
    """A request the website received for a person. ``verified`` only when the caller checked
    the person's identity (e.g. a logged-in session on the website); otherwise staff verify."""
    actor = require_scope(request, Scope.RIGHTS_WRITE)
    check_version(body.notice_version)
    subject = Subject.objects.filter(pk=body.subject).first()
    if subject is None:
        raise ApiError(404, "NOT_FOUND", "No such subject.")
    req = services.submit(actor=actor, subject=subject, type=body.type,
                          channel=RequestChannel.API, params=_params(body), text=body.text,
                          verified=body.verified)
    return Status(201, _out(req, staff=True))


def _act(request, request_id, action, **kwargs):
    actor = require_scope(request, Scope.RIGHTS_WRITE)
    req = action(actor=actor, rights_request=_get(request_id), **kwargs)
    return _out(req, staff=True)


@router.post("/requests/{request_id}/verify", response=StaffRequestOut, auth=STAFF_OR_CLIENT)
def verify_request(request, request_id: uuid.UUID):
    return _act(request, request_id, services.verify)


@router.post("/requests/{request_id}/require-evidence", response=StaffRequestOut,
             auth=STAFF_OR_CLIENT)
def require_evidence(request, request_id: uuid.UUID, body: ReasonIn):
    return _act(request, request_id, services.require_evidence, note=body.text)


@router.post("/requests/{request_id}/refuse", response=StaffRequestOut, auth=STAFF_OR_CLIENT)
def refuse_request(request, request_id: uuid.UUID, body: ReasonIn):
    return _act(request, request_id, services.refuse, reason=body.text)


@router.post("/requests/{request_id}/answer", response=StaffRequestOut, auth=STAFF_OR_CLIENT)
def answer_request(request, request_id: uuid.UUID, body: ReasonIn):
    return _act(request, request_id, services.answer, text=body.text)


@router.post("/requests/{request_id}/apply-correction", response=StaffRequestOut,
             auth=STAFF_OR_CLIENT)
def apply_correction(request, request_id: uuid.UUID):
    return _act(request, request_id, services.apply_correction)
