"""Recipients confirm the deletions forwarded to them (mounted at /api/v1/sharing/).

The caller is an API client with the ``sharing:confirm`` scope, linked to the recipient's
counterparty (``partners.PartnerClient``); it sees only requests forwarded to that recipient.
Its key answers 401 once the recipient is suspended or its processing contract has ended.
"""

from datetime import datetime

from ninja import Field, Router, Schema

from piwarden.api_errors import ApiError
from piwarden.clients.auth import require_scope
from piwarden.clients.models import Scope
from piwarden.partners import services as partners
from piwarden.partners.auth import CounterpartyKeyAuth
from piwarden.sharing import propagation
from piwarden.sharing.models import DeletionRequest

router = Router(tags=["sharing"])


class ConfirmIn(Schema):
    confirmation: str = Field("", max_length=200,
                              description="The recipient's own reference for the deletion "
                                          "(a ticket or certificate number), never PI.")


class DeletionOut(Schema):
    id: int
    reason: str
    status: str
    asked_at: datetime
    due_at: datetime
    confirmed_at: datetime | None


@router.post("/deletions/{request_id}/confirm", response=DeletionOut,
             auth=[CounterpartyKeyAuth()])
def confirm_deletion(request, request_id: int, payload: ConfirmIn):
    """Confirm that the data named by a deletion request (its ``reference``) was deleted.
    Confirming again answers the same; another recipient's request is 404."""
    actor = require_scope(request, Scope.SHARING_CONFIRM)
    counterparty = partners.counterparty_of(request.auth)
    if counterparty is None:
        raise ApiError(403, "NOT_A_RECIPIENT_CLIENT",
                       "This API key is not linked to a recipient.")
    found = DeletionRequest.objects.filter(pk=request_id,
                                           recipient=counterparty.recipient).first()
    if found is None:
        raise ApiError(404, "NOT_FOUND", "Not found.")
    return propagation.confirm(actor=actor, deletion_request=found,
                               confirmation=payload.confirmation)
