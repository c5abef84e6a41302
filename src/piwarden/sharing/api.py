"""The sharing API at /api/v1/sharing/: the registry's flows, provisions through the gateway,
and the expiring package links recipients fetch."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Status

from piwarden.clients.auth import StaffSessionAuth, require_scope
from piwarden.clients.models import Scope
from piwarden.consent.services import truncate_ip
from piwarden.partners.auth import CounterpartyKeyAuth
from piwarden.sharing import services
from piwarden.sharing.api_deletions import router as deletions_router
from piwarden.sharing.api_egress import router as egress_router
from piwarden.sharing.api_person import router as person_router
from piwarden.sharing.api_statistics import router as statistics_router
from piwarden.sharing.models import Flow
from piwarden.sharing.schemas import FlowOut, ProvideIn, ProvisionOut

router = Router(tags=["sharing"])
# A key of a suspended recipient, or of a processor whose contract ended, answers 401.
STAFF_OR_CLIENT = [CounterpartyKeyAuth(), StaffSessionAuth()]
router.add_router("", statistics_router)
router.add_router("", person_router)
router.add_router("", deletions_router)
router.add_router("", egress_router)


@router.get("/flows", response=list[FlowOut], auth=STAFF_OR_CLIENT)
def flows(request, status: str | None = None):
    """Every flow of the registry (one per catalog activity and named recipient)."""
    require_scope(request, Scope.SHARING_READ)
    rows = Flow.objects.all()
    return rows.filter(status=status) if status else rows


@router.post("/flows/{flow_id}/provisions", response={201: ProvisionOut},
             auth=STAFF_OR_CLIENT)
def provide(request, flow_id: int, payload: ProvideIn):
    """Provide these people's data to the flow's recipient. Each person is checked for the
    flow's basis (a consent naming this recipient where the recipient is a handler of its
    own); people without it are left out and counted in ``dropped``. The package link is
    returned once."""
    actor = require_scope(request, Scope.SHARING_PROVIDE)
    flow = get_object_or_404(Flow, pk=flow_id)
    provision, token = services.provide(
        actor=actor, flow=flow, subject_ids=payload.subjects, categories=payload.categories,
        transforms=payload.transforms)
    url = request.build_absolute_uri(
        reverse("api:sharing_package", args=[token])) if token else ""
    return Status(201, {**{f: getattr(provision, f) for f in (
        "id", "status", "considered", "provided", "dropped", "categories", "stripped",
        "expires_at", "created_at")}, "flow": flow.pk, "download_url": url})


@router.get("/packages/{token}", auth=None, url_name="sharing_package")
def package(request, token: str):
    """The sealed package behind a link (the link is the credential): served as JSON over
    TLS, counted and audited per download; 410 once expired or used up."""
    from django.http import HttpResponse

    provision, content = services.open_download(
        token=token, ip_prefix=truncate_ip(request.META.get("REMOTE_ADDR")))
    response = HttpResponse(content, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="provision-{provision.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response
