"""The only writers of requests from authorities (docs/authorities.md).

    create_request(...)        # received; a foreign organ without PRC approval: refused
    upload_document(...)       # the legal document, sealed under its own key
    review(...)                # legal: which people and categories (a subset of the request)
    approve(...)               # two staff members other than the one who entered it
    deliver(...)               # through the sharing gateway; notice to the person after
    refuse(...)                # a reasoned refusal, any time before delivery

Every step is audited (``authorities.*``). Delivery runs outside any atomic block, like the
gateway it calls, so a refusal by the gateway is recorded whatever happens next.
"""

import hashlib
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor, ActorKind
from piwarden.authorities.models import Approval, AuthorityRequest, OrganKind, State
from piwarden.authorities.selectors import (
    ACTIVITIES,
    APPROVALS_NEEDED,
    EMERGENCY_ACTIVITY,
    LEGAL_REQUESTS,
    basis_choices,
    flow_for,
    is_emergency,
)
from piwarden.catalog.models import DataCategory, ProcessingActivity
from piwarden.consent.decisions import InvalidSubject, as_uuid
from piwarden.consent.erasure import covered
from piwarden.errors import ServiceError
from piwarden.roles import registry as roles
from piwarden.roles.selectors import has_role
from piwarden.subjects.models import Subject
from piwarden.vault import envelope, files

MAX_SUBJECTS = 10_000
FORMAT = b"\x01"
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class AuthorityError(ServiceError):
    pass


def _subject_ids(values, field: str) -> list[str]:
    try:
        ids = list(dict.fromkeys(str(as_uuid(value)) for value in values or ()))
    except InvalidSubject:
        raise AuthorityError("SUBJECT_INVALID", "Subjects are given by their ids.",
                             field=field) from None
    if len(ids) > MAX_SUBJECTS:
        raise AuthorityError("TOO_MANY_SUBJECTS", f"At most {MAX_SUBJECTS} people per "
                             "request.", field=field)
    found = set(str(pk) for pk in Subject.objects.filter(pk__in=ids).values_list("pk",
                                                                                 flat=True))
    if len(found) != len(ids):
        raise AuthorityError("SUBJECT_UNKNOWN", f"{len(ids) - len(found)} of the people are "
                             "unknown.", field=field)
    return ids


def _categories(values, field: str) -> list[str]:
    keys = sorted(set(values or ()))
    known = set(DataCategory.objects.filter(key__in=keys, retired=False)
                .values_list("key", flat=True))
    if set(keys) - known:
        raise AuthorityError("UNKNOWN_CATEGORY", "Not in the data catalog: "
                             + ", ".join(sorted(set(keys) - known)), field=field)
    return keys


def _check_basis(activity: str, legal_basis: str, justification: str, confidential: bool,
                 confidentiality_reference: str) -> None:
    if activity not in ACTIVITIES:
        raise AuthorityError("ACTIVITY_INVALID", "The activity is one of: "
                             + ", ".join(ACTIVITIES) + ".", field="activity")
    if not basis_choices().filter(key=legal_basis).exists():
        raise AuthorityError("BASIS_NOT_ALLOWED", "Only a legal duty (PIPL Art. 13(3)) or an "
                             "emergency (Art. 13(4)) can be the basis of a provision to an "
                             "authority.", field="legal_basis")
    declared = ProcessingActivity.objects.filter(key=activity, legal_bases__key=legal_basis)
    if not declared.exists():
        raise AuthorityError("BASIS_NOT_FOR_ACTIVITY", "The catalog does not declare this "
                             "basis for this activity.", field="legal_basis")
    emergency = is_emergency(legal_basis)
    if emergency and activity != EMERGENCY_ACTIVITY:
        raise AuthorityError("EMERGENCY_ACTIVITY", f"An emergency basis goes with the "
                             f"activity {EMERGENCY_ACTIVITY}.", field="activity")
    if emergency and not justification.strip():
        raise AuthorityError("JUSTIFICATION_REQUIRED", "An emergency basis (PIPL Art. 13(4)) "
                             "needs a justification.", field="justification")
    if confidential and emergency:
        raise AuthorityError("EMERGENCY_NOT_CONFIDENTIAL", "After an emergency the person is "
                             "told (PIPL Art. 18 para 2): it cannot be kept confidential.",
                             field="confidential")
    if confidential and not confidentiality_reference.strip():
        raise AuthorityError("CONFIDENTIALITY_REFERENCE_REQUIRED", "Name the law or order "
                             "that requires confidentiality (PIPL Art. 18).",
                             field="confidentiality_reference")


def _staff_user(actor: Actor):
    if actor.kind != ActorKind.STAFF:
        raise AuthorityError("NOT_STAFF", "A staff member does this.", status=403)
    return get_user_model().objects.filter(pk=actor.id).first()


def _locked(request: AuthorityRequest) -> AuthorityRequest:
    return AuthorityRequest.objects.select_for_update().get(pk=request.pk)


def _open(request: AuthorityRequest, *states: State) -> None:
    if request.state not in states:
        raise AuthorityError("WRONG_STATE", f"The request is {request.get_state_display()}.",
                             status=409, detail={"state": request.state})


@transaction.atomic
def create_request(*, actor: Actor, organ_name: str, organ_country: str, organ_kind: str,
                   document_reference: str, legal_basis: str, activity: str = "",
                   justification: str = "", prc_approval_reference: str = "",
                   confidential: bool = False, confidentiality_reference: str = "",
                   subject_ids=(), categories=()) -> AuthorityRequest:
    """Enter a request. A foreign organ (PIPL Art. 41) without a PRC competent-authority
    approval reference is recorded and refused at once, with its reason."""
    _staff_user(actor)
    organ_name, document_reference = organ_name.strip(), document_reference.strip()
    organ_country = organ_country.strip().upper()
    if not organ_name:
        raise AuthorityError("ORGAN_MISSING", "Name the requesting organ.", field="organ_name")
    if not _COUNTRY.match(organ_country):
        raise AuthorityError("COUNTRY_INVALID", "The organ's country is an ISO code (CN for "
                             "the PRC).", field="organ_country")
    if organ_kind not in OrganKind.values:
        raise AuthorityError("ORGAN_KIND_INVALID", "Kinds: " + ", ".join(OrganKind.values),
                             field="organ_kind")
    if not document_reference:
        raise AuthorityError("REFERENCE_MISSING", "Give the legal document's reference number.",
                             field="document_reference")
    activity = activity or (EMERGENCY_ACTIVITY if is_emergency(legal_basis) else LEGAL_REQUESTS)
    _check_basis(activity, legal_basis, justification, confidential, confidentiality_reference)
    request = AuthorityRequest(
        organ_name=organ_name, organ_country=organ_country, organ_kind=organ_kind,
        document_reference=document_reference, activity=activity, legal_basis=legal_basis,
        justification=justification.strip(),
        prc_approval_reference=prc_approval_reference.strip(), confidential=confidential,
        confidentiality_reference=confidentiality_reference.strip() if confidential else "",
        requested_subjects=_subject_ids(subject_ids, "subject_ids"),
        requested_categories=_categories(categories, "categories"), entered_by=str(actor))
    if request.foreign and not request.prc_approval_reference:
        request.state, request.decided_at = State.REFUSED, timezone.now()
        request.refusal_reason = (
            "PIPL Art. 41: personal information stored in the PRC is not provided to a "
            f"foreign judicial or law-enforcement organ (here: {organ_country}) without the "
            "approval of the competent authorities of the PRC, and none is recorded. "
            "《个人信息保护法》第四十一条：非经中华人民共和国主管机关批准，不得向外国司法或者"
            "执法机构提供存储于境内的个人信息；本请求未记录该批准。")
    request.save(force_insert=True)
    audit.record(actor=actor, action="authorities.entered", obj=request,
                 legal_basis=legal_basis, detail=_summary(request))
    if request.state == State.REFUSED:
        audit.record(actor=actor, action="authorities.refused", obj=request,
                     legal_basis=legal_basis, detail={"reason": "foreign_without_prc_approval",
                                                      "country": organ_country})
    return request


def _summary(request: AuthorityRequest) -> dict:
    """What the audit trail keeps of a request: codes and counts, no names or text."""
    return {"organ_kind": request.organ_kind, "country": request.organ_country,
            "activity": request.activity, "foreign": request.foreign,
            "prc_approval": bool(request.prc_approval_reference),
            "confidential": request.confidential, "people": len(request.requested_subjects),
            "categories": request.requested_categories}


@sensitive_variables("data")
@transaction.atomic
def upload_document(*, actor: Actor, request: AuthorityRequest, data: bytes) -> AuthorityRequest:
    """Seal the legal document (PDF, JPEG, PNG; 10 MiB) under a key of its own, wrapped by
    the vault's master key and bound to this document; keep its SHA-256."""
    _staff_user(actor)
    request = _locked(request)
    _open(request, State.RECEIVED)
    try:
        _data, kind = files.check(ContentFile(data), files.SCANS)
    except files.FileRefused as refused:
        raise AuthorityError(refused.code, refused.message, field="document") from None
    version, wrapped, aead = envelope.wrap_new_key(request.document_id)
    request.document = _seal(aead, request, data)
    request.document_key, request.document_key_version = wrapped, version
    request.document_type, request.document_sha256 = kind, hashlib.sha256(data).hexdigest()
    request.document_uploaded_at = timezone.now()
    request.save(update_fields=["document", "document_key", "document_key_version",
                                "document_type", "document_sha256", "document_uploaded_at"])
    audit.record(actor=actor, action="authorities.document_uploaded", obj=request,
                 detail={"sha256": request.document_sha256, "type": kind, "bytes": len(data)})
    return request


def _aad(request: AuthorityRequest) -> bytes:
    return f"piwarden.authorities.document|{request.pk}|{request.document_id}".encode()


def _seal(aead: AESGCM, request: AuthorityRequest, data: bytes) -> bytes:
    nonce = os.urandom(12)
    return FORMAT + nonce + aead.encrypt(nonce, data, _aad(request))


@transaction.atomic
def open_document(*, actor: Actor, request: AuthorityRequest) -> tuple[bytes, str]:
    """The legal document's bytes and type for a staff member (the caller checks the
    permission); every opening is audited."""
    _staff_user(actor)
    request = AuthorityRequest.objects.get(pk=request.pk)
    if not request.document_sha256:
        raise AuthorityError("DOCUMENT_MISSING", "No legal document was uploaded.", status=404)
    sealed = bytes(request.document)
    aead = envelope.cipher(request.document_id, request.document_key_version,
                           bytes(request.document_key))
    data = aead.decrypt(sealed[1:13], sealed[13:], _aad(request))
    audit.record(actor=actor, action="authorities.document_opened", obj=request,
                 detail={"sha256": request.document_sha256})
    return data, request.document_type


@transaction.atomic
def review(*, actor: Actor, request: AuthorityRequest, subject_ids, categories,
           notes: str) -> AuthorityRequest:
    """Legal review (the LEGAL role): the people and categories actually provided, each a
    subset of what the organ asked for and of the flow's allowlist; notes are required."""
    user = _staff_user(actor)
    if not has_role(user, roles.LEGAL):
        raise AuthorityError("LEGAL_ROLE_REQUIRED", "The legal team reviews a request from an "
                             "authority.", status=403)
    request = _locked(request)
    _open(request, State.RECEIVED, State.REVIEWED)
    if request.approvals.exists():
        raise AuthorityError("ALREADY_APPROVED", "Approvals were given for the reviewed "
                             "scope; refuse and enter the request again to change it.",
                             status=409)
    if not request.document_sha256:
        raise AuthorityError("DOCUMENT_MISSING", "Upload the legal document first.",
                             status=409, field="document")
    people = _subject_ids(subject_ids, "subject_ids")
    kept = _categories(categories, "categories")
    if not people or not kept:
        raise AuthorityError("SCOPE_EMPTY", "Name at least one person and one category.",
                             field="subject_ids" if not people else "categories")
    if request.requested_subjects and set(people) - set(request.requested_subjects):
        raise AuthorityError("BEYOND_REQUEST", "The review may only narrow the people the "
                             "organ asked for.", field="subject_ids")
    asked = set(request.requested_categories)
    allowed = set(flow_for(request).categories)
    outside = [c for c in kept if (asked and not covered(c, asked)) or not covered(c, allowed)]
    if outside:
        raise AuthorityError("CATEGORY_NOT_ALLOWED", "Outside what was asked for or the "
                             "flow's allowlist: " + ", ".join(outside), field="categories")
    if not notes.strip():
        raise AuthorityError("NOTES_REQUIRED", "Record the review's notes.", field="notes")
    request.subjects, request.categories, request.review_notes = people, kept, notes.strip()
    request.reviewed_by, request.reviewed_at = str(actor), timezone.now()
    request.state = State.REVIEWED
    request.save(update_fields=["subjects", "categories", "review_notes", "reviewed_by",
                                "reviewed_at", "state"])
    audit.record(actor=actor, action="authorities.reviewed", obj=request, categories=kept,
                 legal_basis=request.legal_basis,
                 detail={"people": len(people), "asked": len(request.requested_subjects)},
                 subjects=people)
    return request


@transaction.atomic
def approve(*, actor: Actor, request: AuthorityRequest) -> AuthorityRequest:
    """One approval; the second makes the request approved. Neither approver is the staff
    member who entered it, and nobody approves twice; no document, no approval."""
    _staff_user(actor)
    request = _locked(request)
    _open(request, State.REVIEWED)
    if not request.document_sha256:
        raise AuthorityError("DOCUMENT_MISSING", "No legal document: the request cannot be "
                             "finalized.", status=409)
    if request.foreign and not request.prc_approval_reference:
        raise AuthorityError("PRC_APPROVAL_MISSING", "PIPL Art. 41.", status=409)
    if str(actor) == request.entered_by:
        raise AuthorityError("APPROVER_IS_ENTERER", "The staff member who entered the request "
                             "cannot approve it.", status=403)
    if request.approvals.filter(approver=str(actor)).exists():
        raise AuthorityError("ALREADY_APPROVED_BY_YOU", "A second approval comes from another "
                             "staff member.", status=403)
    Approval.objects.create(request=request, approver=str(actor))
    count = request.approvals.count()
    if count >= APPROVALS_NEEDED:
        request.state = State.APPROVED
        request.save(update_fields=["state"])
    audit.record(actor=actor, action="authorities.approved", obj=request,
                 legal_basis=request.legal_basis,
                 detail={"approvals": count, "final": count >= APPROVALS_NEEDED})
    return request


@transaction.atomic
def refuse(*, actor: Actor, request: AuthorityRequest, reason: str) -> AuthorityRequest:
    """Refuse the request with its reason (kept on the request, shown in the console)."""
    _staff_user(actor)
    request = _locked(request)
    _open(request, State.RECEIVED, State.REVIEWED, State.APPROVED)
    if not reason.strip():
        raise AuthorityError("REASON_REQUIRED", "Give the reason for the refusal.",
                             field="reason")
    request.state, request.refusal_reason = State.REFUSED, reason.strip()
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "refusal_reason", "decided_at"])
    audit.record(actor=actor, action="authorities.refused", obj=request,
                 legal_basis=request.legal_basis, detail={"reason": "staff_decision"})
    return request


def deliver(*, actor: Actor, request: AuthorityRequest):
    """Provide the reviewed people and categories through the sharing gateway on the
    request's flow, as a sealed package behind a download link. Returns the request and the
    link's token (shown once, stored only as its hash). The person is told afterwards unless
    the provision is confidential (never for an emergency)."""
    from piwarden.sharing import services as sharing

    _staff_user(actor)
    request = AuthorityRequest.objects.get(pk=request.pk)
    _open(request, State.APPROVED)
    provision, token = sharing.provide(
        actor=actor, flow=flow_for(request), subject_ids=request.subjects,
        categories=request.categories, confidential=request.confidential,
        context={"authority_request": request.pk})
    if not provision.provided:
        raise AuthorityError("NOTHING_PROVIDED", "Nobody could be provided: "
                             + ", ".join(f"{k} {v}" for k, v in provision.dropped.items()),
                             status=409, detail={"dropped": provision.dropped})
    request = _delivered(actor, request, provision)
    if not request.confidential:
        request = _notify(actor, request)
    return request, token


@transaction.atomic
def _delivered(actor: Actor, request: AuthorityRequest, provision) -> AuthorityRequest:
    """Link the provision (the guard marked the request delivered in its transaction)."""
    from piwarden.sharing.models import Disclosure

    request = _locked(request)
    request.provision = provision
    request.save(update_fields=["provision"])
    audit.record(actor=actor, action="authorities.delivered", obj=request,
                 categories=provision.categories, legal_basis=request.legal_basis,
                 detail={"provision": str(provision.pk), "provided": provision.provided,
                         "confidential": request.confidential},
                 subjects=Disclosure.objects.filter(provision=provision)
                 .values_list("subject_id", flat=True))
    return request


def _notify(actor: Actor, request: AuthorityRequest) -> AuthorityRequest:
    """Start the notice to the people (Art. 17-18). The package is out already and its
    token must reach the staff member, so a notice that cannot be created raises an alert
    for the privacy officer rather than an error."""
    from piwarden.alerts.services import raise_alert
    from piwarden.authorities import notices

    try:
        with transaction.atomic():
            request = _locked(request)
            request.notice_campaign = notices.send(actor=actor, request=request)
            request.save(update_fields=["notice_campaign"])
    except ServiceError as error:
        with transaction.atomic():
            raise_alert(kind="authorities.notice_failed", severity="high",
                        source="authorities.deliver", actor=actor,
                        summary=f"The notice after provision to an authority #{request.pk} "
                                "could not be started: send it from the campaign console.",
                        detail={"request": request.pk, "code": error.code}, objects=[request])
    return request
