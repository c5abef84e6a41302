"""The incidents API at /api/v1/incidents/, for staff sessions: open, scope, decide, draft
the notice, report, close; the regulator and evidence packs (JSON or printable HTML).

Staff only (no API key manages incidents): each endpoint checks the Django permission the
role registry gives (``incidents.*``)."""

import base64
import binascii

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from piwarden.api_errors import ApiError
from piwarden.clients.auth import StaffSessionAuth
from piwarden.clients.auth import require_permission as _staff
from piwarden.incidents import evidence, packs, services
from piwarden.incidents.models import AffectedPerson, Drill, Incident
from piwarden.incidents.schemas import (
    AffectedOut,
    CampaignOut,
    DecisionIn,
    DrillIn,
    DrillOut,
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    ProgressIn,
    ProgressOut,
    SubmissionIn,
    SubmissionOut,
)

router = Router(tags=["incidents"], auth=[StaffSessionAuth()])
VIEW, CHANGE = "incidents.view_incident", "incidents.change_incident"


def _incident(incident_id: int) -> Incident:
    return get_object_or_404(Incident, pk=incident_id)


@router.get("/", response=list[IncidentOut])
def incidents(request, status: str | None = None):
    _staff(request, VIEW)
    rows = Incident.objects.all()
    return rows.filter(status=status) if status else rows


@router.post("/", response={201: IncidentOut})
def create(request, payload: IncidentIn):
    actor = _staff(request, "incidents.add_incident")
    data = payload.dict(exclude_none=True)
    return Status(201, services.create_incident(actor=actor, **data))


@router.get("/{int:incident_id}", response=IncidentOut)
def incident(request, incident_id: int):
    _staff(request, VIEW)
    return _incident(incident_id)


@router.patch("/{int:incident_id}", response=IncidentOut)
def update(request, incident_id: int, payload: IncidentPatch):
    actor = _staff(request, CHANGE)
    return services.update_incident(actor=actor, incident=_incident(incident_id),
                                    **payload.dict(exclude_unset=True))


@router.post("/{int:incident_id}/contain", response=IncidentOut)
def contain(request, incident_id: int):
    return services.contain(actor=_staff(request, CHANGE), incident=_incident(incident_id))


@router.post("/{int:incident_id}/scope", response=IncidentOut)
def scope(request, incident_id: int):
    """List the people whose PI the compromised principal read or changed in the window."""
    return services.scope_incident(actor=_staff(request, CHANGE),
                                   incident=_incident(incident_id))


@router.get("/{int:incident_id}/affected", response=list[AffectedOut])
def affected(request, incident_id: int, offset: int = 0, limit: int = 1000):
    """The people concerned (opaque ids, categories), a page at a time."""
    _staff(request, VIEW)
    rows = AffectedPerson.objects.filter(incident=_incident(incident_id)).order_by("subject_id")
    return rows[max(offset, 0):max(offset, 0) + min(max(limit, 1), 10_000)]


@router.post("/{int:incident_id}/decision", response=IncidentOut)
def decide(request, incident_id: int, payload: DecisionIn):
    return services.decide_notification(
        actor=_staff(request, CHANGE), incident=_incident(incident_id),
        notify=payload.notify, justification=payload.justification)


@router.post("/{int:incident_id}/notice", response={201: CampaignOut})
def notice(request, incident_id: int):
    """Draft the Art. 57 notice campaign (preview, approve and start it under /notify/)."""
    campaign = services.draft_notice(actor=_staff(request, CHANGE),
                                     incident=_incident(incident_id))
    return Status(201, {"campaign": str(campaign.pk)})


@router.post("/{int:incident_id}/progress", response={201: ProgressOut})
def progress(request, incident_id: int, payload: ProgressIn):
    return Status(201, services.send_progress(
        actor=_staff(request, "incidents.add_progressupdate"),
        incident=_incident(incident_id), text_en=payload.text_en, text_zh=payload.text_zh))


@router.post("/{int:incident_id}/submissions", response={201: SubmissionOut})
def submit(request, incident_id: int, payload: SubmissionIn):
    actor = _staff(request, "incidents.add_regulatorsubmission")
    try:
        receipt = (base64.b64decode(payload.receipt_base64, validate=True)
                   if payload.receipt_base64 else None)
    except (binascii.Error, ValueError):
        raise ApiError(422, "RECEIPT_INVALID", "The receipt is not base64.") from None
    return Status(201, services.submit_report(
        actor=actor, incident=_incident(incident_id), authority=payload.authority,
        submitted_at=payload.submitted_at, reference=payload.reference, receipt=receipt))


@router.post("/{int:incident_id}/close", response=IncidentOut)
def close(request, incident_id: int):
    return services.close(actor=_staff(request, "incidents.close_incident"),
                          incident=_incident(incident_id))


@router.get("/{int:incident_id}/pack")
def pack(request, incident_id: int):
    """The regulator report pack (JSON)."""
    _staff(request, "incidents.export_incident")
    return packs.regulator_pack(_incident(incident_id))


@router.get("/{int:incident_id}/pack.html")
def pack_html(request, incident_id: int):
    """The regulator report pack as a printable document (Chinese controlling)."""
    _staff(request, "incidents.export_incident")
    return HttpResponse(packs.regulator_html(_incident(incident_id)),
                        content_type="text/html; charset=utf-8")


@router.get("/evidence")
def evidence_pack(request):
    """Every control with its owner and last test date (JSON)."""
    _staff(request, "incidents.export_incident")
    return evidence.pack()


@router.get("/evidence.html")
def evidence_html(request):
    _staff(request, "incidents.export_incident")
    return HttpResponse(evidence.html(), content_type="text/html; charset=utf-8")


@router.get("/drills", response=list[DrillOut])
def drills(request):
    _staff(request, "incidents.view_drill")
    return Drill.objects.all()


@router.post("/drills", response={201: DrillOut})
def record_drill(request, payload: DrillIn):
    return Status(201, services.record_drill(actor=_staff(request, "incidents.add_drill"),
                                             **payload.dict()))
