"""The collection app in the subject-data registry: export, erase and expiry of its rows."""

from datetime import datetime

from django.db import transaction
from django.db.models import Max, Q

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog import selectors as catalog
from piwarden.collection.models import DeviceLink, Event
from piwarden.collection.retention import parse_duration
from piwarden.subjects.registry import Erased, Kept

CATEGORIES = ("user.log", "user.device", "user.location")
# Purposes whose logs a law obliges us to keep: erasure detaches them instead of deleting.
KEEP_BASES = frozenset({"legal_obligation"})

_EVENT_FIELDS = ("event_id", "kind", "activity", "occurred_at", "received_at", "ip", "url",
                 "referrer", "download", "duration_ms", "browser", "os", "device_type",
                 "language", "network_type", "screen", "latitude", "longitude", "accuracy_m")


def _json(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # JSON scalars without float rounding surprises
    return value


def export(subject) -> dict[str, list[dict]]:
    events = [{name: _json(value) for name, value in zip(_EVENT_FIELDS, row, strict=True)}
              for row in Event.objects.filter(subject=subject).order_by("occurred_at", "id")
              .values_list(*_EVENT_FIELDS).iterator(chunk_size=2000)]
    links = [{"account": str(s), "browser": str(d), "first_seen": f.isoformat(),
              "last_seen": last.isoformat()}
             for s, d, f, last in DeviceLink.objects.filter(Q(subject=subject) | Q(device=subject))
             .values_list("subject_id", "device_id", "first_seen", "last_seen")]
    return {"collection_events": events, "collection_device_links": links}


def _kind_categories() -> dict[str, set[str]]:
    section, _ = catalog.collection_rules()
    return {k["kind"]: set(k["fields"].values()) for k in section.get("event_kinds", [])}


def _matches(held: set[str], asked) -> bool:
    """A requested category covers what it names and everything below it, and vice versa."""
    return any(h == a or h.startswith(a + ".") or a.startswith(h + ".")
               for h in held for a in asked)


def erase(*, actor: Actor, subject, categories=None) -> Erased:
    """Delete the subject's events and device links; access logs held under a legal duty are
    detached from the subject instead (reported as ``Kept``) and expire with their retention.

    Three statements whatever the volume, each filtered on the subject first: the conditions
    on kind and activity (an IN on a column without an index, a NOT IN) cannot lead the
    database to another index, which would read far more rows than the person has."""
    _, activities = catalog.collection_rules()
    keep = sorted(key for key, a in activities.items() if a["legal_basis"] in KEEP_BASES)
    rows = Event.objects.filter(subject=subject)
    if categories is not None:
        kinds = [kind for kind, held in _kind_categories().items() if _matches(held, categories)]
        rows = rows.filter(kind__in=kinds)
    result = Erased()
    result.erased += rows.exclude(activity__in=keep).delete()[0]
    for activity, last in rows.values_list("activity").annotate(last=Max("received_at")) \
            .order_by("activity"):
        duration = parse_duration(activities[activity]["retention"])
        result.kept.append(Kept(
            category="user.log", legal_basis="legal_obligation",
            until=(last + duration).date() if duration else None,
            reason="Access logs are kept six to twelve months (Cybersecurity Law Art. 21), "
                   "detached from the person, then deleted."))
    if result.kept:
        result.anonymized += rows.update(subject=None)
    if categories is None or _matches({"user.device.link"}, categories):
        links = DeviceLink.objects.filter(Q(subject=subject) | Q(device=subject))
        result.erased += links.delete()[0]
    if result.erased or result.anonymized:
        audit.record(actor=actor, action="collection.erased", subject=subject,
                     categories=[c for c in CATEGORIES if categories is None
                                 or _matches({c}, categories)],
                     detail={"erased": result.erased, "anonymized": result.anonymized})
    return result


def erase_withdrawn(*, actor: Actor, subject, categories: set[str], purpose: str = "") -> int:
    """The collection app's part in erasing what was held only on a withdrawn consent
    (``consent.erasure``, R-6.4, PIPL Art. 47): the subject's events whose activity rests on
    the withdrawn purpose (location events once location consent is withdrawn) and whose
    kind holds a category the erasure covers. Returns how many events went; audited."""
    if not purpose:
        return 0
    section, activities = catalog.collection_rules()
    mine = {key for key, a in activities.items() if a["purpose"] == purpose
            and a["legal_basis"] not in KEEP_BASES}
    kinds = [kind["kind"] for kind in section.get("event_kinds", [])
             if kind["activity"] in mine and _matches(set(kind["fields"].values()), categories)]
    if not kinds:
        return 0
    erased = Event.objects.filter(subject=subject, kind__in=kinds,
                                  activity__in=sorted(mine)).delete()[0]
    if erased:
        audit.record(actor=actor, action="collection.erased", subject=subject,
                     categories=sorted({c for kind in section.get("event_kinds", [])
                                        if kind["kind"] in kinds
                                        for c in kind["fields"].values()}),
                     purpose="consent.management", legal_basis="legal_obligation",
                     detail={"erased": erased, "withdrawn_purpose": purpose,
                             "kinds": sorted(kinds)})
    return erased


def due_events(activity: str):
    def due(*, before) -> int:
        return Event.objects.filter(activity=activity, received_at__lt=before).count()
    return due


def expire_events(activity: str):
    @transaction.atomic
    def expire(*, actor: Actor, before, limit: int) -> int:
        ids = list(Event.objects.filter(activity=activity, received_at__lt=before)
                   .order_by("received_at").values_list("pk", flat=True)[:limit])
        if not ids:
            return 0
        deleted, _ = Event.objects.filter(pk__in=ids).delete()
        audit.record(actor=actor, action="collection.expired", categories=list(CATEGORIES),
                     detail={"activity": activity, "deleted": deleted,
                             "before": before.isoformat()})
        return deleted
    return expire


def due_links(*, before) -> int:
    return DeviceLink.objects.filter(last_seen__lt=before).count()


@transaction.atomic
def expire_links(*, actor: Actor, before, limit: int) -> int:
    ids = list(DeviceLink.objects.filter(last_seen__lt=before).order_by("last_seen")
               .values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    deleted, _ = DeviceLink.objects.filter(pk__in=ids).delete()
    audit.record(actor=actor, action="collection.expired", categories=["user.device.link"],
                 detail={"activity": "device.cross_device_linking", "deleted": deleted,
                         "before": before.isoformat()})
    return deleted
