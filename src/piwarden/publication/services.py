"""Writers of published items: create, ask for consent, publish, take down, erase.

Publishing reads the person's consent to the item fresh from the ledger and refuses without
it (PIPL Art. 25). A consent that ends takes the item down in the ledger's own transaction
(``on_consent_ended``); ``sweep``, the recurring job, takes down whatever that missed and
alerts when an item stayed up past the configured hours.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from piwarden.alerts.models import Severity
from piwarden.alerts.services import raise_alert
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor, ActorKind
from piwarden.audit.models import Outcome
from piwarden.consent.models import Choice, ConsentState
from piwarden.errors import ServiceError
from piwarden.publication import consents
from piwarden.publication.models import (
    LEGAL_BASIS,
    PURPOSE,
    SCOPE,
    Kind,
    PublishedItem,
    Status,
    TakedownReason,
)
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.vault import files

# The categories the catalog's activity ``disclosure.public_with_consent`` declares.
CATEGORIES = ["user.name", "user.title", "user.occupation"]
IMAGE_TYPES = frozenset({files.JPEG, files.PNG})
CONTENT_FIELDS = ("kind", "title_zh", "title_en", "body_zh", "body_en")


class PublicationError(ServiceError):
    _STATUS = {"NOT_FOUND": 404, "CONSENT_MISSING": 409, "WRONG_STATUS": 409}

    def __init__(self, code: str, message: str, **kwargs):
        super().__init__(code, message, status=self._STATUS.get(code, 422), **kwargs)


def _audit(*, actor: Actor, action: str, item: PublishedItem, outcome=Outcome.SUCCESS,
           **detail) -> None:
    audit.record(actor=actor, action=action, subject=item.subject, obj=item,
                 categories=CATEGORIES, purpose=PURPOSE, legal_basis=LEGAL_BASIS,
                 outcome=outcome, detail={"kind": item.kind, **detail})


def _user_id(actor: Actor) -> int | None:
    return int(actor.id) if actor.kind == ActorKind.STAFF else None


def _locked(item: PublishedItem) -> PublishedItem:
    return PublishedItem.objects.select_for_update().select_related("subject").get(pk=item.pk)


def _check_content(values: dict) -> None:
    if values.get("kind") not in Kind.values:
        raise PublicationError("KIND_INVALID", "Choose a testimonial, case study or photo.",
                               field="kind")
    for field in ("title_zh", "title_en"):
        if not (values.get(field) or "").strip():
            raise PublicationError("TITLE_REQUIRED", "Give the title in both languages.",
                                   field=field)
    for field in CONTENT_FIELDS[1:]:
        if consents.names_an_item(values.get(field) or ""):
            raise PublicationError("CONTENT_INVALID", "The text may not contain an item "
                                   "reference (PW-…).", field=field)


def _image(upload) -> tuple[bytes, str]:
    try:
        return files.check(upload, IMAGE_TYPES)
    except files.FileRefused:
        raise PublicationError("IMAGE_REFUSED", "The image must be a JPEG or PNG file of at "
                               "most 10 MiB.", field="image") from None


@transaction.atomic
def create_item(*, actor: Actor, subject: Subject, kind: str, title_zh: str, title_en: str,
                body_zh: str = "", body_en: str = "", image=None) -> PublishedItem:
    """A draft about one account holder (the catalog's activity concerns account holders,
    who give their consent in the privacy center)."""
    values = {"kind": kind, "title_zh": title_zh.strip(), "title_en": title_en.strip(),
              "body_zh": body_zh.strip(), "body_en": body_en.strip()}
    _check_content(values)
    if subject.kind != SubjectKind.ACCOUNT_HOLDER or subject.status != SubjectStatus.ACTIVE:
        raise PublicationError("SUBJECT_NOT_ELIGIBLE", "Items can only be made about an "
                               "active account holder, who can give consent online.",
                               field="subject")
    item = PublishedItem(subject=subject, created_by_id=_user_id(actor), **values)
    if image is not None:
        item.image, item.image_type = _image(image)
    item.save()
    _audit(actor=actor, action="publication.created", item=item, image=bool(item.image))
    return item


@transaction.atomic
def update_item(*, actor: Actor, item: PublishedItem, image=None, **values) -> PublishedItem:
    """Change a draft; the content is fixed once consent has been asked for it."""
    item = _locked(item)
    if item.status != Status.DRAFT:
        raise PublicationError("WRONG_STATUS", "Only a draft can be changed; make a new item "
                               "for new content.")
    unknown = set(values) - set(CONTENT_FIELDS)
    if unknown:
        raise PublicationError("FIELD_UNKNOWN", "Only the kind, titles and texts can change.")
    merged = {field: getattr(item, field) for field in CONTENT_FIELDS}
    merged.update({k: v.strip() for k, v in values.items()})
    _check_content(merged)
    for field, value in merged.items():
        setattr(item, field, value)
    if image is not None:
        item.image, item.image_type = _image(image)
    item.save()
    _audit(actor=actor, action="publication.changed", item=item,
           fields=sorted(values) + (["image"] if image is not None else []))
    return item


@transaction.atomic
def request_consent(*, actor: Actor, item: PublishedItem,
                    notify_person: bool = False) -> PublishedItem:
    """Show the item to the person in their privacy center, waiting for their decision; with
    ``notify_person``, a site message tells them. A taken-down item can be offered again (the
    person's earlier withdrawal stays on record)."""
    item = _locked(item)
    if item.status not in (Status.DRAFT, Status.TAKEN_DOWN) or \
            item.takedown_reason == TakedownReason.ERASURE:
        raise PublicationError("WRONG_STATUS", "Consent can be asked only for a draft or a "
                               "taken-down item.")
    if item.subject.status != SubjectStatus.ACTIVE:
        raise PublicationError("SUBJECT_NOT_ELIGIBLE", "This person's data is no longer "
                               "processed.")
    item.status, item.consent_requested_at = Status.AWAITING_CONSENT, timezone.now()
    item.save(update_fields=["status", "consent_requested_at"])
    _audit(actor=actor, action="publication.consent_requested", item=item,
           message=notify_person)
    if notify_person:
        _tell(actor=actor, item=item)
    return item


def _tell(*, actor: Actor, item: PublishedItem) -> None:
    """A site message pointing the person to the item's page (no content in it: the
    message is kept by the notify app, the item's words stay on the page)."""
    from django.urls import reverse

    from piwarden.notify import services as notify
    from piwarden.notify.models import Kind as NoticeKind

    url = reverse("publication:mine_item", args=[item.pk])
    fields = {"en": {"title": "May we publish something about you?",
                     "text": f"We would like to publish an item about you on our website, "
                             f"only with your consent. See it and decide here: {url}"},
              "zh-hans": {"title": "我们可以发布关于您的内容吗？",
                          "text": f"我们希望在网站上发布一项关于您的内容，需经您同意。"
                                  f"请在此查看并作出决定：{url}"}}
    campaign = notify.create_campaign(
        actor=actor, kind=NoticeKind.OTHER, template="notify.general", fields=fields,
        audience="subjects.listed", audience_params={"subject_ids": [str(item.subject_id)]},
        channels=["site"], concerns=item, title=f"Publication consent {str(item.pk)[:8]}")
    notify.start(actor=actor, campaign=campaign)


def choose(*, actor: Actor, item: PublishedItem, choice: str, lang: str, shown: str = "",
           ip: str | None = None, user_agent: str = ""):
    """The person's choice about one item, recorded in the consent ledger (which audits it).
    ``shown``: the reference of the content the page displayed; a changed item is refused."""
    if item.status == Status.DRAFT or item.takedown_reason == TakedownReason.ERASURE:
        raise PublicationError("NOT_FOUND", "Not found.")
    if choice not in (Choice.GRANT, Choice.REFUSE, Choice.WITHDRAW):
        raise PublicationError("CHOICE_INVALID", "Agree, decline or withdraw.")
    if shown and shown != consents.reference(item):
        raise PublicationError("CONTENT_CHANGED", "The item changed since the page was "
                               "shown; look at it again.")
    if choice == Choice.GRANT and item.status == Status.TAKEN_DOWN:
        raise PublicationError("WRONG_STATUS", "This item is not offered for publication.")
    return consents.record(actor=actor, item=item, choice=Choice(choice), lang=lang, ip=ip,
                           user_agent=user_agent)


def publish(*, actor: Actor, item: PublishedItem) -> PublishedItem:
    """Publish an item whose person has agreed to exactly this content; refused (and
    audited) with ``CONSENT_MISSING`` otherwise."""
    with transaction.atomic():
        item = _locked(item)
        if item.status != Status.AWAITING_CONSENT:
            raise PublicationError("WRONG_STATUS", "Only an item waiting for consent can be "
                                   "published; ask for consent first.")
        _hold_ledger(item)
        allowed = consents.holds(item)
        if allowed:
            item.status, item.published_at = Status.PUBLISHED, timezone.now()
            item.published_by_id = _user_id(actor)
            item.takedown_reason, item.taken_down_at = "", None
            item.save(update_fields=["status", "published_at", "published_by",
                                     "takedown_reason", "taken_down_at"])
        _audit(actor=actor, action="publication.published", item=item,
               outcome=Outcome.SUCCESS if allowed else Outcome.DENIED,
               **({} if allowed else {"refused": "CONSENT_MISSING"}))
    if not allowed:
        raise PublicationError("CONSENT_MISSING", "The person has not given their separate "
                               "consent to publishing this item.")
    return item


def _hold_ledger(item: PublishedItem) -> None:
    """Lock the person's public-disclosure consent row until the publication commits: a
    withdrawal arriving meanwhile waits, then finds the item published and takes it down."""
    list(ConsentState.objects.select_for_update().filter(
        subject_id=item.subject_id, purpose=PURPOSE, scope=SCOPE).values_list("pk"))


@transaction.atomic
def take_down(*, actor: Actor, item: PublishedItem,
              reason: str = TakedownReason.STAFF) -> PublishedItem:
    """Take a published item off the site, or stop waiting for consent. Twice is once."""
    item = _locked(item)
    if item.status not in (Status.PUBLISHED, Status.AWAITING_CONSENT):
        return item
    was = item.status
    item.status, item.taken_down_at = Status.TAKEN_DOWN, timezone.now()
    item.takedown_reason = TakedownReason(reason)
    item.save(update_fields=["status", "taken_down_at", "takedown_reason"])
    _audit(actor=actor, action="publication.taken_down", item=item, reason=reason, was=was)
    return item


def on_consent_ended(sender, *, event, actor: Actor, **kwargs) -> None:
    """``consent.signals.consent_ended`` receiver, in the ledger's transaction: the person's
    items whose consent no longer holds come down now."""
    if event.purpose != PURPOSE or event.scope != SCOPE:
        return
    for item in PublishedItem.objects.filter(subject_id=event.subject_id,
                                             status=Status.PUBLISHED):
        if not consents.holds(item):
            take_down(actor=actor, item=item, reason=TakedownReason.CONSENT_ENDED)


def sweep(*, actor: Actor, now: datetime.datetime | None = None) -> dict[str, int]:
    """The recurring check: take down every published item whose consent no longer holds,
    and raise one alert naming those that stayed up longer than the configured hours after
    the consent ended (the signal should have taken them down at once)."""
    now = now or timezone.now()
    limit = datetime.timedelta(hours=consents.takedown_hours())
    taken, late = 0, []
    for item in PublishedItem.objects.filter(status=Status.PUBLISHED).select_related("subject"):
        with transaction.atomic():
            state = consents.state(item)
            if state.holds:
                continue
            take_down(actor=actor, item=item, reason=TakedownReason.CONSENT_ENDED)
            taken += 1
            if state.ended_at is not None and now - state.ended_at > limit:
                late.append(item)
    if late:
        with transaction.atomic():
            raise_alert(
                kind="publication.takedown_late", severity=Severity.HIGH, source=str(actor),
                actor=actor,
                summary=f"{len(late)} published item(s) stayed up more than "
                        f"{consents.takedown_hours()} hours after the consent ended.",
                detail={"items": [str(item.pk) for item in late]},
                subjects=[item.subject for item in late], objects=late)
    return {"taken_down": taken, "late": len(late)}


def erase(*, actor: Actor, subject: Subject, only_ended: bool = False) -> int:
    """Erasure (inside the caller's transaction): take the person's items down and delete
    them, text and image. ``only_ended``: just the items the person said no to or withdrew
    (the erasure the ledger schedules after a withdrawal, PIPL Art. 47), keeping those they
    still agree to or have not decided on."""
    count = 0
    for item in PublishedItem.objects.filter(subject=subject):
        if only_ended and item.status != Status.TAKEN_DOWN:
            state = consents.state(item)
            if state.holds or state.ended_at is None:
                continue
        take_down(actor=actor, item=item, reason=TakedownReason.ERASURE)
        _audit(actor=actor, action="publication.erased", item=item)
        item.delete()
        count += 1
    return count
