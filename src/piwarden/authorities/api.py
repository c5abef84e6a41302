"""The authorities API at /api/v1/authorities/, for the legal team's staff sessions: enter a
request, upload its legal document, review, approve, refuse, deliver, read.

Staff only (no API key provides to an authority): each endpoint checks the Django permission
the role registry gives (``authorities.*``); the services check the rest (the legal role for
the review, two approvers other than the one who entered the request)."""

import base64
import binascii

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Status

from piwarden.api_errors import ApiError
from piwarden.audit import services as audit
from piwarden.authorities import selectors, services
from piwarden.authorities.models import AuthorityRequest
from piwarden.authorities.schemas import (
    AuthorityRequestIn,
    AuthorityRequestOut,
    BasisOut,
    DeliveredOut,
    DocumentIn,
    RefuseIn,
    ReviewIn,
)
from piwarden.clients.auth import StaffSessionAuth
from piwarden.clients.auth import require_permission as _staff
from piwarden.vault import files

router = Router(tags=["authorities"], auth=[StaffSessionAuth()])
VIEW = "authorities.view_authorityrequest"


def _request(request_id: int) -> AuthorityRequest:
    return get_object_or_404(AuthorityRequest.objects.select_related("provision"),
                             pk=request_id)


@router.get("/bases", response=list[BasisOut])
def bases(request):
    """The basis picker: PIPL Art. 13(3) and 13(4) only."""
    _staff(request, VIEW)
    return [{"key": b.key, "name_en": b.name_en, "name_zh": b.name_zh, "article": b.article,
             "emergency": b.pipl_13 == selectors.EMERGENCY_ITEM}
            for b in selectors.basis_choices()]


def _read(actor, rows: list[AuthorityRequest]) -> list[AuthorityRequest]:
    """The answer names the people asked for and provided: one audit record lists them."""
    people = {str(s) for row in rows for s in (*row.requested_subjects, *row.subjects)}
    audit.record_read(actor=actor, action="authorities.read", subjects=sorted(people),
                      categories=["user.account.id"], detail={"requests": len(rows)})
    return rows


@router.get("/", response=list[AuthorityRequestOut])
def requests(request, state: str | None = None):
    actor = _staff(request, VIEW)
    rows = AuthorityRequest.objects.select_related("provision").prefetch_related("approvals")
    return _read(actor, list(rows.filter(state=state) if state else rows))


@router.post("/", response={201: AuthorityRequestOut})
def create(request, payload: AuthorityRequestIn):
    actor = _staff(request, "authorities.add_authorityrequest")
    return Status(201, services.create_request(actor=actor, **payload.dict()))


@router.get("/{int:request_id}", response=AuthorityRequestOut)
def detail(request, request_id: int):
    return _read(_staff(request, VIEW), [_request(request_id)])[0]


@router.post("/{int:request_id}/document", response=AuthorityRequestOut)
def upload(request, request_id: int, payload: DocumentIn):
    actor = _staff(request, "authorities.change_authorityrequest")
    try:
        data = base64.b64decode(payload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "DOCUMENT_INVALID", "The document is not base64.") from None
    return services.upload_document(actor=actor, request=_request(request_id), data=data)


@router.get("/{int:request_id}/document")
def document(request, request_id: int):
    """The legal document (audited opening)."""
    actor = _staff(request, "authorities.open_document")
    data, kind = services.open_document(actor=actor, request=_request(request_id))
    return files.download(data, kind, f"authority-request-{request_id}")


@router.post("/{int:request_id}/review", response=AuthorityRequestOut)
def review(request, request_id: int, payload: ReviewIn):
    actor = _staff(request, "authorities.review_authorityrequest")
    return services.review(actor=actor, request=_request(request_id), **payload.dict())


@router.post("/{int:request_id}/approve", response=AuthorityRequestOut)
def approve(request, request_id: int):
    actor = _staff(request, "authorities.approve_authorityrequest")
    return services.approve(actor=actor, request=_request(request_id))


@router.post("/{int:request_id}/refuse", response=AuthorityRequestOut)
def refuse(request, request_id: int, payload: RefuseIn):
    actor = _staff(request, "authorities.review_authorityrequest",
                   "authorities.approve_authorityrequest")
    return services.refuse(actor=actor, request=_request(request_id), reason=payload.reason)


@router.post("/{int:request_id}/deliver", response=DeliveredOut)
def deliver(request, request_id: int):
    """Provide through the sharing gateway; the download link is returned once."""
    actor = _staff(request, "authorities.deliver_authorityrequest")
    delivered, token = services.deliver(actor=actor, request=_request(request_id))
    url = request.build_absolute_uri(reverse("api:sharing_package", args=[token]))
    return {"request": _request(delivered.pk), "download_url": url}
