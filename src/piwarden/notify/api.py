"""The notify API at /api/v1/notify/: staff create, preview, approve and start campaigns and
follow their progress (staff sessions only: no API key sends notices to people)."""

import uuid

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from piwarden.audit.actors import Actor
from piwarden.clients.auth import StaffSessionAuth, require_permission
from piwarden.notify import selectors, services
from piwarden.notify.models import Campaign
from piwarden.notify.schemas import (
    CampaignIn,
    NoticeCampaignOut,
    NoticePreviewOut,
    NoticeProgressOut,
)

router = Router(tags=["notify"])
STAFF = [StaffSessionAuth()]


def _staff(request, permission: str) -> Actor:
    return require_permission(request, f"notify.{permission}")


@router.post("/campaigns", response={201: NoticeCampaignOut}, auth=STAFF)
def create(request, payload: CampaignIn):
    """A draft campaign (nothing is sent until it is started)."""
    actor = _staff(request, "add_campaign")
    campaign = services.create_campaign(actor=actor, **payload.dict())
    return Status(201, campaign)


@router.get("/campaigns/{campaign_id}", response=NoticeCampaignOut, auth=STAFF)
def detail(request, campaign_id: uuid.UUID):
    _staff(request, "view_campaign")
    return get_object_or_404(Campaign, pk=campaign_id)


@router.post("/campaigns/{campaign_id}/preview", response=NoticePreviewOut, auth=STAFF)
def preview(request, campaign_id: uuid.UUID):
    """How many people, and ten of them masked with the channel each would get."""
    actor = _staff(request, "change_campaign")
    result = services.preview(actor=actor, campaign=get_object_or_404(Campaign, pk=campaign_id))
    return {"count": result.count, "sample": result.sample}


@router.post("/campaigns/{campaign_id}/approve", response=NoticeCampaignOut, auth=STAFF)
def approve(request, campaign_id: uuid.UUID):
    """The second staff member's approval (not the creator's, above the threshold)."""
    actor = _staff(request, "change_campaign")
    return services.approve(actor=actor, campaign=get_object_or_404(Campaign, pk=campaign_id))


@router.post("/campaigns/{campaign_id}/start", response=NoticeCampaignOut, auth=STAFF)
def start(request, campaign_id: uuid.UUID):
    """Refused with TEMPLATE_FIELD_MISSING or APPROVAL_REQUIRED; else sending is queued."""
    actor = _staff(request, "change_campaign")
    return services.start(actor=actor, campaign=get_object_or_404(Campaign, pk=campaign_id))


@router.get("/campaigns/{campaign_id}/progress", response=NoticeProgressOut, auth=STAFF)
def progress(request, campaign_id: uuid.UUID):
    _staff(request, "view_campaign")
    return selectors.progress(get_object_or_404(Campaign, pk=campaign_id))
