"""The ingestion API for the website's own servers (scope ``collection:write``)."""

from ninja import Router

from piwarden.api_errors import ApiError
from piwarden.clients.auth import STAFF_OR_CLIENT, require_scope
from piwarden.clients.models import ApiClient, Scope
from piwarden.collection import services
from piwarden.collection.schemas import EventBatchIn, EventBatchOut

router = Router(tags=["collection"])


def _source(request) -> str:
    principal = request.auth
    if isinstance(principal, ApiClient):
        return f"client:{principal.pk}"
    return f"staff:{principal.pk}"


@router.post("/events", response=EventBatchOut, auth=STAFF_OR_CLIENT)
def ingest_events(request, payload: EventBatchIn):
    """Store a batch of up to 1,000 device, log and location events, minimized.

    200 with a result per event (`stored`, `duplicate`, or `rejected` with a code) when any
    event was taken. When every event is rejected, nothing is stored and the answer is 403
    `CONSENT_REQUIRED` (all for lack of consent or permission, e.g. location) or 422
    `EVENTS_REJECTED`, with the per-event results in `detail`.
    """
    actor = require_scope(request, Scope.COLLECTION_WRITE)
    batch = services.ingest(actor=actor, source=_source(request), events=payload.events)
    body = batch.as_json()
    if body["rejected"] == len(batch.results):
        codes = {r.code for r in batch.results}
        if codes <= {"CONSENT_REQUIRED", "LOCATION_NOT_PERMITTED"}:
            raise ApiError(403, "CONSENT_REQUIRED", "No event may be stored without the "
                           "person's consent or permission.", body)
        raise ApiError(422, "EVENTS_REJECTED", "No event in the batch could be stored.", body)
    return body
