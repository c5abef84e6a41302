"""The partners API at /api/v1/partners/: a partner's API client submits batches of records
with the people's authorizations, and reads back only its own records (masked)."""

from ninja import Router

from piwarden.api_errors import ApiError
from piwarden.audit import services as audit
from piwarden.clients.auth import StaffSessionAuth, require_scope
from piwarden.clients.models import Scope
from piwarden.partners import selectors, services
from piwarden.partners.auth import CounterpartyKeyAuth
from piwarden.partners.models import ImportBatch
from piwarden.partners.schemas import ImportIn, ImportOut, PartnerRecordOut

router = Router(tags=["partners"])
STAFF_OR_CLIENT = [CounterpartyKeyAuth(), StaffSessionAuth()]


def _partner(request):
    actor = require_scope(request, Scope.PARTNERS_IMPORT)
    partner = services.partner_of(request.auth)
    if partner is None:
        raise ApiError(403, "NOT_A_PARTNER_CLIENT",
                       "This API key is not linked to an active partner.")
    return actor, partner


def _batch_out(batch: ImportBatch, results) -> dict:
    return {"batch": batch.pk, "received": batch.received, "stored": batch.stored,
            "duplicates": batch.duplicates, "rejected": batch.rejected,
            "results": [r.__dict__ for r in results]}


@router.post("/imports", response=ImportOut, auth=STAFF_OR_CLIENT)
def import_batch(request, payload: ImportIn):
    """Submit up to 500 records. Records without a valid authorization are rejected one by
    one (index and code); the others are stored. A retried record (same external_id) is
    reported as ``duplicate`` and stored once."""
    actor, partner = _partner(request)
    result = services.import_batch(actor=actor, partner=partner, records=payload.records,
                                   notice_version=payload.notice_version,
                                   reference=payload.reference, client=request.auth)
    return _batch_out(result.batch, result.results)


@router.get("/records/{external_id}", response=PartnerRecordOut, auth=STAFF_OR_CLIENT)
def record(request, external_id: str):
    """One of the calling partner's own records, PI masked; other partners' ids are 404."""
    actor, partner = _partner(request)
    found = selectors.record_of(partner, external_id)
    if found is None:
        raise ApiError(404, "NOT_FOUND", "Not found.")
    audit.record_read(actor=actor, action="partners.record_read", subjects=[found.subject_id],
                      categories=found.categories, obj=found)
    return {"external_id": found.external_id, "batch": found.batch_id,
            "received_at": found.received_at, "categories": found.categories,
            "authorization_reference": found.authorization_reference,
            "authorization_categories": found.authorization_categories,
            "authorization_purposes": found.authorization_purposes,
            "authorized_on": found.authorized_on,
            "authorization_expires_on": found.authorization_expires_on,
            "masked": {name: value for name, value in selectors.masked_values(found.subject).items()
                       if services.FIELDS[name] in found.categories}}
