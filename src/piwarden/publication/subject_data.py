"""Published items in the subject-data registry.

Export: every item about the person, with its texts and whether an image was included.
Erase: the items are taken down and deleted, text and image; nothing is kept (the consent
ledger keeps its own evidence of the person's choices). An erasure of some categories only (the
one the ledger schedules after a withdrawal) deletes just the items the person withdrew or
declined: the items they still agree to stay.
"""

from piwarden.audit.actors import Actor
from piwarden.publication import services
from piwarden.publication.models import PublishedItem
from piwarden.subjects import registry
from piwarden.subjects.models import Subject

NAME = "publication.items"


def export(subject: Subject) -> dict[str, list[dict]]:
    rows = [{"item": str(item.pk), "kind": item.kind, "status": item.status,
             "title_zh": item.title_zh, "title_en": item.title_en,
             "body_zh": item.body_zh, "body_en": item.body_en,
             "has_image": bool(item.image), "created_at": registry.iso(item.created_at),
             "published_at": registry.iso(item.published_at),
             "taken_down_at": registry.iso(item.taken_down_at)}
            for item in PublishedItem.objects.filter(subject=subject).order_by("created_at")]
    return {"published_items": rows}


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    if categories is not None and not set(categories) & set(services.CATEGORIES):
        return registry.Erased()
    return registry.Erased(erased=services.erase(actor=actor, subject=subject,
                                                 only_ended=categories is not None))


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(PublishedItem,),
                                      categories=tuple(services.CATEGORIES), export=export,
                                      erase=erase))
