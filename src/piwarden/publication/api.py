"""The publication API at /api/v1/publication/, for the website's staff sessions: make items,
ask for consent, publish and take down. Each endpoint checks the Django permission the role
registry gives (``publication.*``); the image is uploaded in the console."""

import uuid

from ninja import Router, Status

from piwarden.api_errors import ApiError
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.clients.auth import StaffSessionAuth
from piwarden.clients.auth import require_permission as _staff
from piwarden.publication import consents, services
from piwarden.publication.models import PURPOSE, PublishedItem
from piwarden.publication.schemas import ItemIn, ItemOut, ItemPatch
from piwarden.subjects.models import Subject

router = Router(tags=["publication"], auth=[StaffSessionAuth()])
VIEW, ADD = "publication.view_publisheditem", "publication.add_publisheditem"
CHANGE, PUBLISH = "publication.change_publisheditem", "publication.publish_publisheditem"


def _item(item_id: uuid.UUID) -> PublishedItem:
    item = PublishedItem.objects.filter(pk=item_id).select_related("subject").first()
    if item is None:
        raise ApiError(404, "NOT_FOUND", "Not found.")
    return item


def _out(item: PublishedItem) -> dict:
    return {**{field: getattr(item, field) for field in ItemOut.model_fields
               if hasattr(item, field)},
            "has_image": bool(item.image), "consent_holds": consents.holds(item)}


def _read(actor: Actor, rows: list[PublishedItem]) -> list[dict]:
    """The answer names the people it is about: one audit record lists them all."""
    audit.record_read(actor=actor, action="publication.read", subjects=[
        item.subject_id for item in rows], categories=services.CATEGORIES, purpose=PURPOSE,
        detail={"items": len(rows)})
    return [_out(item) for item in rows]


@router.get("/", response=list[ItemOut])
def items(request, status: str | None = None):
    actor = _staff(request, VIEW)
    rows = PublishedItem.objects.all()
    return _read(actor, list(rows.filter(status=status) if status else rows))


@router.post("/", response={201: ItemOut})
def create(request, payload: ItemIn):
    actor = _staff(request, ADD)
    subject = Subject.objects.filter(pk=payload.subject_id).first()
    if subject is None:
        raise ApiError(404, "NOT_FOUND", "Not found.")
    data = payload.dict(exclude={"subject_id"})
    return Status(201, _out(services.create_item(actor=actor, subject=subject, **data)))


@router.get("/{uuid:item_id}", response=ItemOut)
def item(request, item_id: uuid.UUID):
    return _read(_staff(request, VIEW), [_item(item_id)])[0]


@router.patch("/{uuid:item_id}", response=ItemOut)
def update(request, item_id: uuid.UUID, payload: ItemPatch):
    actor = _staff(request, CHANGE)
    return _out(services.update_item(actor=actor, item=_item(item_id),
                                     **payload.dict(exclude_none=True)))


@router.post("/{uuid:item_id}/request-consent", response=ItemOut)
def request_consent(request, item_id: uuid.UUID, notify: bool = True):
    """``notify``: tell the person by a site message (default)."""
    actor = _staff(request, CHANGE)
    return _out(services.request_consent(actor=actor, item=_item(item_id),
                                         notify_person=notify))


@router.post("/{uuid:item_id}/publish", response=ItemOut)
def publish(request, item_id: uuid.UUID):
    actor = _staff(request, PUBLISH)
    return _out(services.publish(actor=actor, item=_item(item_id)))


@router.post("/{uuid:item_id}/take-down", response=ItemOut)
def take_down(request, item_id: uuid.UUID):
    actor = _staff(request, PUBLISH)
    return _out(services.take_down(actor=actor, item=_item(item_id)))
