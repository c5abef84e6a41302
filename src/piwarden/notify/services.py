"""The only writers of notification campaigns (docs/notify.md).

    campaign = create_campaign(actor=..., kind="incident", template="incident.art57",
                               fields={"en": {...}, "zh-hans": {...}}, audience="...",
                               audience_params={...}, channels=["email", "sms", "site"],
                               title="...")
    preview(actor=..., campaign=campaign)      # count and a masked sample
    approve(actor=other_staff, campaign=campaign)   # above PIWARDEN_NOTIFY_APPROVAL_ABOVE
    start(actor=..., campaign=campaign)        # queues notify.tasks.run_campaign

The job (``run``) hands the audience out in chunks, one transaction each: one ``Delivery`` per
person (unique per campaign and person, so a rerun after a crash skips who was done), the
e-mails and SMS queued through the outbox's bulk entry points with the key
``notify:<campaign>:<subject>``, one audit record per chunk naming everyone in it.
"""

import dataclasses
import datetime
import gc
import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from piwarden import bulk
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor, ActorKind
from piwarden.notify import audiences, checks, hooks, reach, templates
from piwarden.notify.models import (
    Announcement,
    Campaign,
    CampaignStatus,
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
)
from piwarden.notify.selectors import progress  # noqa: F401  (the interface names it here)
from piwarden.outbox import services as outbox
from piwarden.outbox.models import MessageStatus
from piwarden.sharing import egress

JOB = Actor.system("notify.run_campaign")
SOURCE = "notify.campaign"
SAMPLE = 10
# The purpose under which contacts are read and notices sent, by kind of campaign.
PURPOSES = {Kind.INCIDENT: "incident.notification", Kind.POLICY_CHANGE: "service.provision",
            Kind.DISCONTINUATION: "service.provision",
            Kind.CORPORATE_TRANSACTION: "transfer.corporate", Kind.OTHER: "service.provision"}
_READS = {Channel.EMAIL: "user.contact.email", Channel.SMS: "user.contact.phone"}
OPEN = (CampaignStatus.DRAFT, CampaignStatus.AWAITING_APPROVAL, CampaignStatus.APPROVED)


NotifyError = checks.NotifyError


def _approval_above() -> int:
    return getattr(settings, "PIWARDEN_NOTIFY_APPROVAL_ABOVE", 1000)


def _per_minute(channel: str) -> int | None:
    """``PIWARDEN_NOTIFY_PER_MINUTE``: an int for every channel, or ``{channel: int}``;
    None (the default) sends as fast as the job goes."""
    limit = getattr(settings, "PIWARDEN_NOTIFY_PER_MINUTE", None)
    return limit.get(channel) if isinstance(limit, dict) else limit


def _chunk_size() -> int:
    return getattr(settings, "PIWARDEN_NOTIFY_CHUNK", 1000)


@dataclasses.dataclass(frozen=True)
class Preview:
    count: int
    sample: list


@dataclasses.dataclass(frozen=True)
class RunResult:
    handed: int
    done: bool
    next_at: datetime.datetime | None = None


@transaction.atomic
def create_campaign(*, actor: Actor, kind: str, template: str, fields: dict, audience: str,
                    audience_params: dict, channels: list[str],
                    concerns: models.Model | None = None, require_ack: bool = False,
                    title: str) -> Campaign:
    """A draft campaign. Empty required fields are allowed in a draft; ``start`` refuses."""
    if kind not in Kind.values:
        raise NotifyError("KIND_INVALID", f"Kinds: {', '.join(Kind.values)}.")
    templates.get(template)
    audiences.resolve(audience, audience_params)  # the key and its params are valid
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise NotifyError("TITLE_INVALID", "A campaign has a title of at most 200 characters.")
    campaign = Campaign(
        title=title.strip(), kind=kind, template=template, fields=checks.check_fields(fields),
        audience=audience, audience_params=dict(audience_params or {}),
        channels=checks.check_channels(channels), require_ack=bool(require_ack),
        created_by=str(actor))
    if concerns is not None:
        campaign.concerns_type, campaign.concerns_id = concerns._meta.label_lower, str(concerns.pk)
    campaign.save(force_insert=True)
    audit.record(actor=actor, action="notify.campaign_created", obj=campaign,
                 detail={"kind": kind, "template": template, "audience": audience,
                         "channels": campaign.channels})
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def set_fields(*, actor: Actor, campaign: Campaign, fields: dict) -> Campaign:
    """Replace a campaign's field values while it has not started (approval is undone)."""
    campaign = _locked(campaign)
    if campaign.status not in OPEN:
        raise NotifyError("CAMPAIGN_STARTED", "The campaign has started; its text is fixed.",
                          status=409)
    campaign.fields = checks.check_fields(fields)
    campaign.status, campaign.approved_by, campaign.approved_at = CampaignStatus.DRAFT, "", None
    campaign.save(update_fields=["fields", "status", "approved_by", "approved_at"])
    audit.record(actor=actor, action="notify.fields_changed", obj=campaign,
                 detail={"missing": len(templates.missing(templates.get(campaign.template),
                                                          campaign.fields))})
    return campaign


def _needs_approval(count: int) -> bool:
    return count > _approval_above()


@transaction.atomic
def preview(*, actor: Actor, campaign: Campaign) -> Preview:
    """How many people the audience holds now, and ten of them masked (an id prefix and the
    channel that would be used; never a contact value)."""
    campaign = _locked(campaign)
    ids = audiences.resolve(campaign.audience, campaign.audience_params)
    count = ids.count()
    sample_ids = list(ids[:SAMPLE])
    found = reach.people(sample_ids)
    sample = [{"subject": str(sid)[:8],
               "channel": reach.choose(found[sid], campaign.channels) or "unreachable"}
              for sid in sample_ids]
    campaign.audience_size = count
    fields = ["audience_size"]
    if campaign.status in OPEN and _needs_approval(count) and not campaign.approved_by:
        campaign.status = CampaignStatus.AWAITING_APPROVAL
        fields.append("status")
    campaign.save(update_fields=fields)
    audit.record(actor=actor, action="notify.previewed", obj=campaign,
                 detail={"count": count, "needs_approval": _needs_approval(count)})
    return Preview(count=count, sample=sample)


@transaction.atomic
def approve(*, actor: Actor, campaign: Campaign) -> Campaign:
    """A second staff member's approval; above the threshold the creator cannot give it."""
    campaign = _locked(campaign)
    if campaign.status not in OPEN:
        raise NotifyError("CAMPAIGN_STARTED", "Only a campaign not yet started is approved.",
                          status=409)
    if actor.kind != ActorKind.STAFF:
        raise NotifyError("APPROVER_NOT_STAFF", "A staff member approves a campaign.",
                          status=403)
    count = audiences.resolve(campaign.audience, campaign.audience_params).count()
    if _needs_approval(count) and str(actor) == campaign.created_by:
        raise NotifyError("APPROVER_IS_CREATOR", "A campaign to more than "
                          f"{_approval_above()} people is approved by a second staff member.",
                          status=403)
    campaign.status, campaign.audience_size = CampaignStatus.APPROVED, count
    campaign.approved_by, campaign.approved_at = str(actor), timezone.now()
    campaign.save(update_fields=["status", "audience_size", "approved_by", "approved_at"])
    audit.record(actor=actor, action="notify.approved", obj=campaign, detail={"count": count})
    return campaign


@transaction.atomic
def start(*, actor: Actor, campaign: Campaign) -> Campaign:
    """Refuse an empty required field (either language) or a missing second approval; queue
    the sending job in this transaction."""
    from piwarden.jobs.services import enqueue_with_caller
    from piwarden.notify import tasks

    campaign = _locked(campaign)
    if campaign.status not in OPEN:
        raise NotifyError("CAMPAIGN_STARTED", "The campaign has started already.", status=409)
    missing = templates.missing(templates.get(campaign.template), campaign.fields)
    if missing:
        raise NotifyError("TEMPLATE_FIELD_MISSING", "Required fields are empty: "
                          f"{', '.join(missing)}.", detail={"missing": missing})
    count = audiences.resolve(campaign.audience, campaign.audience_params).count()
    if _needs_approval(count) and not campaign.approved_by:
        raise NotifyError("APPROVAL_REQUIRED", f"A campaign to {count} people (more than "
                          f"{_approval_above()}) needs a second staff member's approval.",
                          status=409, detail={"count": count})
    campaign.status, campaign.audience_size = CampaignStatus.SENDING, count
    campaign.started_at = timezone.now()
    campaign.save(update_fields=["status", "audience_size", "started_at"])
    audit.record(actor=actor, action="notify.started", obj=campaign, detail={"count": count})
    enqueue_with_caller(tasks.run_campaign, str(campaign.pk), key=f"notify.run:{campaign.pk}")
    return campaign


@transaction.atomic
def cancel(*, actor: Actor, campaign: Campaign) -> Campaign:
    """Stop handing out notices (what was queued already still leaves)."""
    campaign = _locked(campaign)
    if campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED):
        raise NotifyError("CAMPAIGN_FINISHED", "The campaign has finished.", status=409)
    campaign.status, campaign.finished_at = CampaignStatus.CANCELLED, timezone.now()
    campaign.save(update_fields=["status", "finished_at"])
    audit.record(actor=actor, action="notify.cancelled", obj=campaign)
    return campaign


# --- the job --------------------------------------------------------------------------------

def run(*, campaign_id, now: datetime.datetime | None = None,
        max_chunks: int | None = None) -> RunResult:
    """Hand out the next chunks (each one transaction), as many as the per-minute limits
    allow; then either finish the campaign or say when to run again. Safe to run twice.

    The audience is read once per run, in id order after the cursor (one query: asking the
    database for each chunk would scan the audience once per chunk)."""
    handed, used, chunks = 0, {}, 0
    campaign = Campaign.objects.get(pk=campaign_id)
    ids = audiences.resolve(campaign.audience, campaign.audience_params)
    if campaign.cursor:
        ids = ids.filter(pk__gt=uuid.UUID(campaign.cursor))
    # As text: a hundred thousand UUID objects would each be walked by every full garbage
    # collection of the run.
    ids = [sid.hex for sid in ids] if campaign.status == CampaignStatus.SENDING else []
    position = 0
    while position < len(ids):
        room = _room(used)
        if room == 0 or (max_chunks is not None and chunks >= max_chunks):
            later = datetime.timedelta(minutes=1) if room == 0 else datetime.timedelta()
            return RunResult(handed, False, (now or timezone.now()) + later)
        chunk = [uuid.UUID(sid) for sid in ids[position:position + min(room, _chunk_size())]]
        counts = _without_gc(_send_chunk, campaign_id, chunk)
        if counts is None:
            break
        position, chunks = position + len(chunk), chunks + 1
        for channel, n in counts.items():
            used[channel] = used.get(channel, 0) + n
            handed += n
    return RunResult(handed, _finish(campaign_id))


def _without_gc(function, *args):
    """Run one chunk with the cyclic garbage collector paused: a chunk makes tens of thousands
    of short-lived objects (freed by reference counting), and each collection they triggered
    walked everything the process holds. Cycles left behind are collected after the chunk."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return function(*args)
    finally:
        if enabled:
            gc.enable()


def _room(used: dict) -> int:
    """How many more people this run may hand out before a channel's limit is reached."""
    rooms = [limit - used.get(channel, 0) for channel in Channel.values
             if (limit := _per_minute(channel)) is not None]
    return max(min(rooms), 0) if rooms else _chunk_size()


@transaction.atomic
def _send_chunk(campaign_id, chunk: list) -> dict | None:
    """One chunk of the audience (ids in order): None when the campaign is no longer
    sending."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return None
    done = _delivered(campaign, chunk)
    todo = [sid for sid in chunk if sid not in done]
    found = reach.people(todo)
    plan = {sid: reach.choose(found[sid], campaign.channels) for sid in todo}
    messages = _queue(campaign, plan, found)
    _append_deliveries(campaign, plan, found, messages)
    counts = {}
    for channel in plan.values():
        counts[channel or "unreachable"] = counts.get(channel or "unreachable", 0) + 1
    campaign.cursor = max(campaign.cursor, str(chunk[-1]))
    campaign.counts = {k: campaign.counts.get(k, 0) + counts.get(k, 0)
                       for k in {*campaign.counts, *counts}}
    campaign.save(update_fields=["cursor", "counts"])
    audit.record(actor=JOB, action="notify.delivered", obj=campaign, subjects=todo,
                 purpose=PURPOSES[campaign.kind],
                 categories=sorted({_READS[c] for c in plan.values() if c in _READS}),
                 detail={"people": len(todo), "skipped": len(done), "channels": counts})
    if messages:
        from piwarden.jobs.services import enqueue_with_caller
        from piwarden.notify import tasks

        enqueue_with_caller(tasks.deliver_chunk, str(campaign.pk),
                            [str(m) for m in messages.values()])
    return counts


def _delivered(campaign: Campaign, chunk: list) -> set:
    """Who of the chunk has a delivery already (a rerun after a crash skips them)."""
    connection = transaction.get_connection()
    where, params = bulk.uuid_in("subject_id", chunk, connection)
    table = connection.ops.quote_name(Delivery._meta.db_table)
    campaign_id = Delivery._meta.get_field("campaign").get_db_prep_value(campaign.pk,
                                                                         connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT subject_id FROM {table} WHERE campaign_id = %s AND {where}",  # noqa: S608
                       [campaign_id, *params])
        key = reach.keyed(chunk)
        return {key(sid) for (sid,) in cursor.fetchall()}


_DELIVERY_CONSTANT = ("campaign", "created_at", "called_by")
_DELIVERY_COLUMNS = ("subject", "channel", "status", "language", "message",
                     *_DELIVERY_CONSTANT)


def _append_deliveries(campaign: Campaign, plan: dict, found: dict, messages: dict) -> None:
    """One row per person of the chunk, appended in bulk (the campaign's row lock keeps a
    concurrent run out, and ``_delivered`` took out who has one)."""
    connection = transaction.get_connection()
    field = Delivery._meta.get_field
    constant = (field("campaign").get_db_prep_save(campaign.pk, connection),
                field("created_at").get_db_prep_save(timezone.now(), connection), "")
    subject, message = field("subject"), field("message")
    bulk.append(Delivery, _DELIVERY_COLUMNS, [
        (subject.get_db_prep_save(sid, connection), str(channel or Channel.ANNOUNCEMENT.value),
         (DeliveryStatus.PENDING if channel else DeliveryStatus.UNREACHABLE).value,
         found[sid].language, message.get_db_prep_save(messages.get(sid), connection),
         *constant) for sid, channel in plan.items()])


def _person_context() -> dict:
    base = settings.PIWARDEN_SITE_URL.rstrip("/")
    return {"messages_url": base + reverse("notify:messages")}


def _queue(campaign: Campaign, plan: dict, found: dict) -> dict:
    """Queue the chunk's e-mails and SMS; ``{subject_id: message id}``."""
    email = [sid for sid, ch in plan.items() if ch == Channel.EMAIL]
    sms = [sid for sid, ch in plan.items() if ch == Channel.SMS]
    if not email and not sms:
        return {}
    template, person = templates.get(campaign.template), _person_context()
    texts = {lang: templates.render(template, campaign.fields, lang, person)
             for lang in templates.LANGUAGES}
    values = {**reach.contacts(email, "user.contact.email"),
              **reach.contacts(sms, "user.contact.phone")}
    key = f"notify:{campaign.pk}:"
    common = {"actor": JOB, "audience": egress.Audience.PERSON, "source": SOURCE,
              "kind": campaign.template, "concerns": campaign}
    out = {}
    rows = [{"to": [values[sid]["email"]], "subject": texts[found[sid].language]["subject"],
             "body": texts[found[sid].language]["body"], "person": sid,
             "idempotency_key": f"{key}{sid}"} for sid in email if values.get(sid, {}).get("email")]
    for row, message_id in zip(rows, outbox.enqueue_many_email(messages=rows, **common),
                               strict=True):
        out[row["person"]] = message_id
    rows = [{"to": values[sid]["phone"], "text": texts[found[sid].language]["sms"][
        :outbox.MAX_SMS_CHARS], "person": sid, "idempotency_key": f"{key}{sid}"}
        for sid in sms if values.get(sid, {}).get("phone")]
    for row, message_id in zip(rows, outbox.enqueue_many_sms(messages=rows, **common),
                               strict=True):
        out[row["person"]] = message_id
    return out


@transaction.atomic
def _finish(campaign_id) -> bool:
    """Every person handed out: publish the announcement for the unreachable (when the
    campaign lists that channel) and mark the campaign sent."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED)
    unreachable = campaign.counts.get("unreachable", 0)
    if (unreachable and Channel.ANNOUNCEMENT in campaign.channels
            and not Announcement.objects.filter(campaign=campaign).exists()):
        _publish(campaign)
    campaign.status, campaign.finished_at = CampaignStatus.SENT, timezone.now()
    campaign.save(update_fields=["status", "finished_at"])
    audit.record(actor=JOB, action="notify.campaign_sent", obj=campaign,
                 detail={"counts": campaign.counts})
    return True


def _publish(campaign: Campaign) -> Announcement:
    template = templates.get(campaign.template)
    texts = {lang: templates.render(template, campaign.fields, lang, _person_context())
             for lang in templates.LANGUAGES}
    announcement = Announcement.objects.create(
        campaign=campaign, title_en=texts["en"]["subject"][:200],
        title_zh=texts["zh-hans"]["subject"][:200], body_en=texts["en"]["body"],
        body_zh=texts["zh-hans"]["body"])
    audit.record(actor=JOB, action="notify.announcement_published", obj=announcement,
                 detail={"campaign": str(campaign.pk),
                         "unreachable": campaign.counts.get("unreachable", 0)})
    return announcement


@transaction.atomic
def sync(*, campaign_id) -> int:
    """Deliveries follow their outbox message: sent or failed once the outbox says so (the
    outbox retries on its own under the same key). Returns how many are still waiting."""
    waiting = Delivery.objects.filter(campaign_id=campaign_id, status=DeliveryStatus.PENDING,
                                      channel__in=(Channel.EMAIL, Channel.SMS))
    sent = waiting.filter(message__status=MessageStatus.SENT).update(status=DeliveryStatus.SENT)
    failed = waiting.filter(Q(message__status=MessageStatus.FAILED) | Q(message__isnull=True)
                            ).update(status=DeliveryStatus.FAILED)
    left = waiting.count()
    if sent or failed:
        audit.record(actor=JOB, action="notify.synced", obj=Campaign(pk=campaign_id),
                     detail={"sent": sent, "failed": failed, "waiting": left})
    return left


# --- what people and staff do with a delivery -----------------------------------------------

@transaction.atomic
def mark_shown(*, actor: Actor, deliveries: list[Delivery]) -> int:
    """A person's site messages were shown (their page view or login): once per delivery."""
    ids = [d.pk for d in deliveries if d.shown_at is None]
    if not ids:
        return 0
    now = timezone.now()
    shown = Delivery.objects.filter(pk__in=ids, shown_at__isnull=True).update(
        shown_at=now, status=DeliveryStatus.SENT)
    subject_ids = sorted({d.subject_id for d in deliveries})
    audit.record(actor=actor, action="notify.shown", subjects=subject_ids,
                 detail={"deliveries": shown})
    for delivery in deliveries:
        delivery.shown_at = delivery.shown_at or now
    return shown


@transaction.atomic
def acknowledge(*, actor: Actor, delivery: Delivery) -> Delivery:
    """The person read the notice ("I have read this"). Only the person themself; a second
    acknowledgement changes nothing. Campaign kinds may hook in (``notify.hooks``)."""
    delivery = Delivery.objects.select_for_update().select_related("campaign").get(pk=delivery.pk)
    if actor.kind != ActorKind.PERSON or actor.id != str(delivery.subject_id):
        raise NotifyError("NOT_YOURS", "Only the person a notice is for acknowledges it.",
                          status=404)
    if delivery.acknowledged_at is not None:
        return delivery
    now = timezone.now()
    delivery.acknowledged_at, delivery.shown_at = now, delivery.shown_at or now
    if delivery.channel == Channel.SITE:
        delivery.status = DeliveryStatus.SENT
    delivery.save(update_fields=["acknowledged_at", "shown_at", "status"])
    audit.record(actor=actor, action="notify.acknowledged", subject=delivery.subject,
                 obj=delivery, detail={"campaign": str(delivery.campaign_id),
                                       "kind": delivery.campaign.kind})
    hooks.acknowledged(actor=actor, delivery=delivery)
    return delivery


@transaction.atomic
def record_call(*, actor: Actor, delivery: Delivery, reached: bool) -> Delivery:
    """Staff called the person of a phone-call task: reached (sent) or not (failed)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.channel != Channel.PHONE:
        raise NotifyError("NOT_A_CALL", "This delivery is not a phone-call task.")
    delivery.status = DeliveryStatus.SENT if reached else DeliveryStatus.FAILED
    delivery.called_at, delivery.called_by = timezone.now(), str(actor)
    delivery.save(update_fields=["status", "called_at", "called_by"])
    audit.record(actor=actor, action="notify.called", subject=delivery.subject, obj=delivery,
                 detail={"reached": bool(reached)})
    return delivery


@transaction.atomic
def withdraw_announcement(*, actor: Actor, announcement: Announcement) -> Announcement:
    """Take a public notice off the home page (it stays on record)."""
    announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if announcement.withdrawn_at is None:
        announcement.withdrawn_at = timezone.now()
        announcement.save(update_fields=["withdrawn_at"])
    audit.record(actor=actor, action="notify.announcement_withdrawn", obj=announcement)
    return announcement
