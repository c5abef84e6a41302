"""The cross-border transfers API at /api/v1/transfers/, for staff sessions: transfer
records (list, get, create, change, filing, suspend or activate), the year's counters against
the thresholds and their source, and the people held back at a threshold (release).

Staff only: each endpoint checks the Django permission the role registry gives
(``transfers.*``); every write goes through ``transfers.services``."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Status

from piwarden.api_errors import ApiError
from piwarden.clients.auth import StaffSessionAuth
from piwarden.clients.auth import require_permission as _staff
from piwarden.sharing.models import Flow
from piwarden.transfers import guard, rules, services
from piwarden.transfers.models import Hold, TransferRecord, YearCounter
from piwarden.transfers.schemas import (
    CountersOut,
    FilingIn,
    HoldOut,
    RecordPatch,
    ReleaseOut,
    StatusIn,
    TransferRecordIn,
    TransferRecordOut,
)

router = Router(tags=["transfers"], auth=[StaffSessionAuth()])
VIEW, CHANGE = "transfers.view_transferrecord", "transfers.change_transferrecord"
REQUIRES = {1: "contract_or_certification", 2: "security_assessment"}
TIERS = {"below_threshold": 0, "contract_or_certification": 1, "security_assessment": 2}


def _record(record_id: int) -> TransferRecord:
    return get_object_or_404(TransferRecord.objects.select_related("flow"), pk=record_id)


def _out(record: TransferRecord) -> dict:
    today = timezone.localdate()
    return {**{f.attname: getattr(record, f.attname) for f in TransferRecord._meta.fields},
            "activity": record.flow.activity, "recipient": record.flow.recipient,
            "expires_on": rules.expires_on(record), "filing_due": rules.filing_due(record),
            "problems": [{"code": c, "message": m} for c, m in rules.problems(record, today)]}


@router.get("/records", response=list[TransferRecordOut])
def records(request, status: str | None = None):
    _staff(request, VIEW)
    rows = TransferRecord.objects.select_related("flow")
    return [_out(r) for r in (rows.filter(status=status) if status else rows)]


@router.post("/records", response={201: TransferRecordOut})
def create(request, payload: TransferRecordIn):
    """A transfer record for an overseas flow (one per flow)."""
    actor = _staff(request, "transfers.add_transferrecord")
    values = payload.dict(exclude_none=True)
    flow = Flow.objects.filter(pk=values.pop("flow")).first()
    if flow is None:
        raise ApiError(404, "UNKNOWN_FLOW", "No such flow.")
    return Status(201, _out(services.create_record(actor=actor, flow=flow, **values)))


@router.get("/records/{int:record_id}", response=TransferRecordOut)
def record(request, record_id: int):
    _staff(request, VIEW)
    return _out(_record(record_id))


@router.patch("/records/{int:record_id}", response=TransferRecordOut)
def update(request, record_id: int, payload: RecordPatch):
    """Change what the record says; a filed standard contract whose terms change is due
    for filing again."""
    actor = _staff(request, CHANGE)
    return _out(services.update_record(actor=actor, record=_record(record_id),
                                       **payload.dict(exclude_unset=True)))


@router.post("/records/{int:record_id}/filing", response=TransferRecordOut)
def filing(request, record_id: int, payload: FilingIn):
    """The standard contract was filed with the provincial CAC (again, after a change)."""
    return _out(services.record_filing(actor=_staff(request, CHANGE),
                                       record=_record(record_id), reference=payload.reference,
                                       filed_on=payload.filed_on))


@router.post("/records/{int:record_id}/status", response=TransferRecordOut)
def status(request, record_id: int, payload: StatusIn):
    """Suspend the transfer (nothing passes) or make it active again, with the reason."""
    return _out(services.set_status(actor=_staff(request, CHANGE), record=_record(record_id),
                                    status=payload.status, reason=payload.reason))


@router.get("/counters", response=CountersOut)
def counters(request, year: int | None = None):
    """Distinct people whose PI left mainland China in the calendar year (default: this year,
    China time), and how many each mechanism tier allows; the thresholds with their source."""
    _staff(request, "transfers.view_yearcounter")
    year = year or guard.this_year()
    found = {c.sensitive: c.people for c in YearCounter.objects.filter(year=year)}
    data = rules.thresholds()

    def allowed(tier: int, sensitive: bool) -> int | None:
        limit = data.limit(tier, sensitive)
        return None if limit >= rules.UNLIMITED else limit
    return {"year": year, "source": data.source, "ciio": rules.ciio(),
            "counters": [{"kind": "sensitive" if sensitive else "non_sensitive",
                          "people": found.get(sensitive, 0),
                          "limits": {name: allowed(tier, sensitive)
                                     for name, tier in TIERS.items()}}
                         for sensitive in (False, True)],
            "thresholds": [{"kind": "sensitive" if t.sensitive else "non_sensitive",
                            "from_person": t.from_person, "requires": REQUIRES[t.tier],
                            "source": t.source} for t in data.entries]}


def _hold_out(hold: Hold) -> dict:
    return {"id": hold.pk, "record_id": hold.record_id, "year": hold.year,
            "people": len(hold.subject_ids), "categories": hold.categories,
            "reason": hold.reason, "created_at": hold.created_at,
            "released_at": hold.released_at, "released_by": hold.released_by}


@router.get("/holds", response=list[HoldOut])
def holds(request, released: bool | None = None):
    """Batches held back at a threshold (people counted, never listed)."""
    _staff(request, "transfers.view_hold")
    rows = Hold.objects.all()
    if released is not None:
        rows = rows.filter(released_at__isnull=not released)
    return [_hold_out(h) for h in rows]


@router.post("/holds/{uuid:hold_id}/release", response=ReleaseOut)
def release(request, hold_id):
    """Provide the held people now that the mechanism allows more (through the gateway,
    which counts them again and holds back any still over the limit)."""
    actor = _staff(request, "transfers.change_hold")
    hold = get_object_or_404(Hold.objects.select_related("record__flow"), pk=hold_id)
    provision, token = services.release(actor=actor, hold=hold)
    url = request.build_absolute_uri(
        reverse("api:sharing_package", args=[token])) if token else ""
    return {"hold": hold.pk, "provision": provision.pk, "status": provision.status,
            "provided": provision.provided, "dropped": provision.dropped, "download_url": url}
