"""The transactions API at /api/v1/transactions/, for the legal team's staff sessions:
record a transaction, draft / preview / approve / start its notices, follow their progress,
record the undertaking or a change of processing, take a masked data-room sample, export.

Staff only (no API key moves a company's data to a new holder): each endpoint checks the
Django permission the role registry gives (``transactions.*``)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Status

from piwarden.clients.auth import StaffSessionAuth
from piwarden.clients.auth import require_permission as _staff
from piwarden.notify.selectors import progress as campaign_progress
from piwarden.transactions import dataroom, selectors, services
from piwarden.transactions.models import CorporateTransaction
from piwarden.transactions.schemas import (
    ChangeIn,
    ExportOut,
    NoticesIn,
    PreviewOut,
    SampleIn,
    TransactionIn,
    TransactionOut,
    UndertakingIn,
)

router = Router(tags=["transactions"], auth=[StaffSessionAuth()])
VIEW, CHANGE = "transactions.view_corporatetransaction", "transactions.change_corporatetransaction"


def _tx(transaction_id: int) -> CorporateTransaction:
    return get_object_or_404(CorporateTransaction, pk=transaction_id)


@router.get("/", response=list[TransactionOut])
def transactions(request, status: str | None = None):
    _staff(request, VIEW)
    rows = CorporateTransaction.objects.all()
    return rows.filter(status=status) if status else rows


@router.post("/", response={201: TransactionOut})
def create(request, payload: TransactionIn):
    actor = _staff(request, "transactions.add_corporatetransaction")
    data = payload.dict()
    data["subject_ids"] = [str(s) for s in data["subject_ids"]]
    return Status(201, services.create_transaction(actor=actor, **data))


@router.get("/{int:transaction_id}", response=TransactionOut)
def transaction(request, transaction_id: int):
    _staff(request, VIEW)
    return _tx(transaction_id)


@router.post("/{int:transaction_id}/notices", response={201: dict})
def notices(request, transaction_id: int, payload: NoticesIn):
    """Draft the Art. 22 notice campaign (the new holder's name and contact come from the
    catalog)."""
    campaign = services.draft_notices(
        actor=_staff(request, CHANGE), transaction=_tx(transaction_id),
        event={"zh-hans": payload.event_zh, "en": payload.event_en}, channels=payload.channels)
    return Status(201, {"campaign": str(campaign.pk)})


@router.post("/{int:transaction_id}/notices/preview", response=PreviewOut)
def preview(request, transaction_id: int):
    found = services.preview_notices(actor=_staff(request, CHANGE),
                                     transaction=_tx(transaction_id))
    return {"count": found.count, "sample": found.sample}


@router.post("/{int:transaction_id}/notices/approve", response=dict)
def approve(request, transaction_id: int):
    campaign = services.approve_notices(actor=_staff(request, CHANGE),
                                        transaction=_tx(transaction_id))
    return {"campaign": str(campaign.pk), "status": campaign.status}


@router.post("/{int:transaction_id}/notices/start", response=dict)
def start(request, transaction_id: int):
    campaign = services.start_notices(actor=_staff(request, CHANGE),
                                      transaction=_tx(transaction_id))
    return {"campaign": str(campaign.pk), "status": campaign.status}


@router.get("/{int:transaction_id}/progress", response=dict)
def progress(request, transaction_id: int):
    """The campaign's counts, and whether the notices are complete (the status follows)."""
    actor = _staff(request, VIEW)
    found = services.refresh(actor=actor, transaction=_tx(transaction_id))
    campaign = selectors.campaign(found)
    return {"status": found.status, "notices_complete": selectors.notices_complete(found),
            "campaign": campaign_progress(campaign) if campaign else None}


@router.post("/{int:transaction_id}/undertaking", response=TransactionOut)
def undertaking(request, transaction_id: int, payload: UndertakingIn):
    return services.record_undertaking(actor=_staff(request, CHANGE),
                                       transaction=_tx(transaction_id),
                                       reference=payload.reference,
                                       signed_on=payload.signed_on)


@router.post("/{int:transaction_id}/processing-change", response=TransactionOut)
def processing_change(request, transaction_id: int, payload: ChangeIn):
    """The new holder changes the purpose or method: the export waits for new consent."""
    return services.record_processing_change(actor=_staff(request, CHANGE),
                                             transaction=_tx(transaction_id),
                                             change=payload.change)


@router.post("/{int:transaction_id}/cancel", response=TransactionOut)
def cancel(request, transaction_id: int):
    return services.cancel(actor=_staff(request, CHANGE), transaction=_tx(transaction_id))


@router.post("/{int:transaction_id}/data-room-sample")
def sample(request, transaction_id: int, payload: SampleIn):
    """A masked sample of the affected people, as CSV (audited, naming them)."""
    rows = services.data_room_sample(
        actor=_staff(request, "transactions.sample_corporatetransaction"),
        transaction=_tx(transaction_id), size=payload.size)
    response = HttpResponse(dataroom.as_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="data-room-{transaction_id}'
                                       '.csv"')
    response["Cache-Control"] = "no-store"
    return response


@router.post("/{int:transaction_id}/export", response={201: ExportOut})
def export(request, transaction_id: int):
    """Export to the new holder through the sharing gateway; the link is returned once."""
    provision, token = services.export(
        actor=_staff(request, "transactions.export_corporatetransaction"),
        transaction=_tx(transaction_id))
    url = request.build_absolute_uri(reverse("api:sharing_package", args=[token])) \
        if token else ""
    return Status(201, {"provision": str(provision.pk), "status": provision.status,
                        "considered": provision.considered, "provided": provision.provided,
                        "dropped": provision.dropped, "categories": provision.categories,
                        "download_url": url, "expires_at": provision.expires_at})
