"""The statistics export API (C-2.5.5, S-4.1.2a): aggregates for a recipient's flow, for staff
and clients with ``sharing:statistics``."""

from datetime import datetime
from uuid import UUID

from django.urls import reverse
from ninja import Router, Schema, Status

from piwarden.api_errors import ApiError
from piwarden.clients.auth import StaffSessionAuth, require_scope
from piwarden.clients.models import Scope
from piwarden.partners.auth import CounterpartyKeyAuth
from piwarden.sharing import statistics
from piwarden.sharing.models import Flow

router = Router(tags=["sharing"], auth=[CounterpartyKeyAuth(), StaffSessionAuth()])


class StatisticsIn(Schema):
    flow: int
    dataset: str
    dimensions: list[str]
    start: datetime
    end: datetime


class StatisticsOut(Schema):
    provision: UUID
    rows: int
    suppressed: int
    download_url: str


@router.post("/statistics", response={201: StatisticsOut})
def export_statistics(request, payload: StatisticsIn):
    """Count a dataset (`events` or `accounts`) in [start, end) by the dimensions asked for
    and provide the table on the flow: 201 with the provision, the cells provided, the cells
    suppressed for counting fewer people than the threshold, and the package link (shown
    once; empty when the package is pushed).

    422 `IDENTIFYING_DIMENSION` for a dimension outside the allowlist (ids, IPs, URLs with
    their query, locations, sensitive data), `UNKNOWN_DATASET`, `NO_DIMENSION` or
    `INVALID_WINDOW`; 409 `FLOW_INACTIVE` or `FLOW_NOT_STATISTICS` for a flow that may not
    carry them; 404 `FLOW_NOT_FOUND`.
    """
    actor = require_scope(request, Scope.SHARING_STATISTICS)
    flow = Flow.objects.filter(pk=payload.flow).first()
    if flow is None:
        raise ApiError(404, "FLOW_NOT_FOUND", f"There is no flow {payload.flow}.")
    done = statistics.export_statistics(
        actor=actor, flow=flow, dataset=payload.dataset, dimensions=payload.dimensions,
        start=payload.start, end=payload.end)
    url = request.build_absolute_uri(
        reverse("api:sharing_package", args=[done.link_token])) if done.link_token else ""
    return Status(201, {"provision": done.provision.pk, "rows": done.cells,
                        "suppressed": done.suppressed, "download_url": url})
