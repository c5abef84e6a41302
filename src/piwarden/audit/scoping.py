"""Impact scoping: whose PI a compromised actor, or a compromised store, exposed.

``scope(actor_kind, actor_id, start, end)``: the actor's audit records in the window (both
ends included) and the people each names — its ``subject``, its child rows
(``AuditSubject``), or, for a record that names only an object (a batch, a provision), the
people the object's rows name, through resolvers apps register here. Each person gets the
categories of the records that touched them.

Read or changed: a record whose action's last word (after the last dot or underscore) is one
of ``READ_WORDS`` (``vault.value_revealed``, ``sharing.provided``, ``partners.record_read``…)
read; any other action changed. Only successful records touch anyone: a denied or failed
attempt is counted in ``actions`` but names nobody in ``people``.

``scope_store(store, start, end)``: a store is a subject-data source name
(``subjects.registry``) or a catalog system key. ``SYSTEM_SOURCES`` says which sources keep
their data in which system; a system's categories are those of the processing activities the
catalog stores in it. The people are everyone with rows in those sources' models now (all of
it was exposed: ``read``), with the source's categories that the store holds, plus, given a
window, everyone the window's audit records name on those categories (data that may since be
gone; ``read`` or ``changed`` by the rule above).
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.module_loading import autodiscover_modules

from piwarden.audit.actors import ActorKind
from piwarden.audit.models import AuditEvent, AuditSubject, Outcome
from piwarden.errors import ServiceError

READ_WORDS = frozenset({"read", "revealed", "viewed", "exported", "downloaded", "provided",
                        "previewed", "listed", "searched", "opened", "accessed", "shown"})

# Where each subject-data source keeps its data, by catalog system (catalog/piwarden.yaml
# ``systems:``). Backups hold every source.
SYSTEM_SOURCES = {
    "web_app": ("accounts.account", "consent.ledger", "payments", "rights.requests",
                "subjectdata.requests", "sharing.disclosures", "policy.acceptances",
                "notify.deliveries", "alerts.alerts", "incidents.affected"),
    "pi_vault": ("vault.values",),
    "object_storage": ("accounts.account", "campaigns.entries", "subjectdata.requests"),
    "log_store": ("audit.trail", "collection.events"),
    "analytics_store": ("collection.events",),
    "crm": ("leads.requests", "campaigns.entries", "partners.records"),
    "email_gateway": ("outbox.messages",),
    "sms_gateway": ("outbox.messages",),
    "payment_provider": ("payments",),
    "paper_archive": ("campaigns.entries",),
}
ALL_SOURCES = ("backup",)

Resolver = Callable[[list[str]], dict[str, Iterable]]
_resolvers: dict[str, Resolver] = {}
_discovered = False


class ScopeError(ServiceError):
    pass


@dataclass
class Scope:
    people: dict[str, set[str]] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    records: int = 0
    read: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)


def register(object_type: str, resolver: Resolver) -> None:
    """``resolver(object_ids) -> {object_id: subject ids}`` for records about objects of
    ``object_type`` (``app_label.modelname``, as audit records name them)."""
    _resolvers[object_type] = resolver


def is_read(action: str) -> bool:
    return action.rsplit(".", 1)[-1].rsplit("_", 1)[-1] in READ_WORDS


def scope(*, actor_kind: str, actor_id: str, start: datetime, end: datetime) -> Scope:
    if actor_kind not in ActorKind.values:
        raise ScopeError("UNKNOWN_ACTOR_KIND", f"Actor kinds: {', '.join(ActorKind.values)}.")
    if start > end:
        raise ScopeError("BAD_WINDOW", "The window ends before it starts.")
    where = {"actor_kind": actor_kind, "actor_id": actor_id, "occurred_at__gte": start,
             "occurred_at__lte": end}
    return _collect(where)


def _collect(where: dict, relevant: Callable[[str], bool] | None = None) -> Scope:
    """The records matching ``where`` and everyone they touched (``relevant``: keep only
    these categories, and only records with one)."""
    records = list(AuditEvent.objects.filter(**where).order_by().values_list(
        "id", "action", "outcome", "subject_id", "object_type", "object_id", "categories"))
    if relevant is not None:
        records = [(*r[:6], [c for c in r[6] if relevant(c)]) for r in records]
        records = [r for r in records if r[6]]
    result = Scope(records=len(records), actions=dict(Counter(r[1] for r in records)))
    touched = [r for r in records if r[2] == Outcome.SUCCESS]
    named: dict[int, list] = {}
    wanted = {r[0] for r in touched}
    children = AuditSubject.objects.filter(**{f"event__{k}": v for k, v in where.items()})
    for event_id, subject_id in children.values_list("event_id", "subject_id").iterator(5000):
        if event_id in wanted:
            named.setdefault(event_id, []).append(subject_id)
    unresolved: dict[str, set[str]] = {}
    for event_id, _action, _outcome, subject_id, object_type, object_id, _cats in touched:
        if subject_id is None and event_id not in named and object_type in _resolved_types():
            unresolved.setdefault(object_type, set()).add(object_id)
    by_object = {(object_type, object_id): list(people)
                 for object_type, ids in unresolved.items()
                 for object_id, people in _resolvers[object_type](sorted(ids)).items()}
    for event_id, action, _outcome, subject_id, object_type, object_id, categories in touched:
        people = named.get(event_id) or by_object.get((object_type, object_id), [])
        if subject_id is not None:
            people = [subject_id, *people]
        bucket = result.read if is_read(action) else result.changed
        for person in map(str, people):
            result.people.setdefault(person, set()).update(categories)
            bucket.add(person)
    return result


def _resolved_types() -> dict[str, Resolver]:
    """The resolvers; apps register theirs beside their services, loaded here once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("services")
        _discovered = True
    return _resolvers


def scope_store(*, store: str, start: datetime | None = None,
                end: datetime | None = None) -> Scope:
    sources, categories = _store(store)
    from piwarden.consent.erasure import covered

    def relevant(category: str) -> bool:
        return covered(category, categories) or any(covered(c, {category}) for c in categories)

    where = {}
    if start is not None:
        where["occurred_at__gte"] = start
    if end is not None:
        where["occurred_at__lte"] = end
    result = _collect(where, relevant) if where else Scope()
    for source in sources:
        held = {c for c in source.categories if covered(c, categories)} | {
            c for c in categories if covered(c, set(source.categories))}
        for model in source.models:
            names = {f.name for f in model._meta.concrete_fields if f.is_relation}
            if "subject" not in names:
                continue
            for subject_id in (model._default_manager.order_by().exclude(subject=None)
                               .values_list("subject_id", flat=True).distinct().iterator(5000)):
                person = str(subject_id)
                result.people.setdefault(person, set()).update(held)
                result.read.add(person)
    return result


def _store(store: str) -> tuple[list, set[str]]:
    """The subject-data sources a store holds, and the categories it holds."""
    from piwarden.catalog.models import DataCategory, System
    from piwarden.subjects import registry

    named = {source.name: source for source in registry.sources()}
    if store in named:
        return [named[store]], set(named[store].categories)
    system = System.objects.filter(key=store).first()
    if system is None:
        raise ScopeError("UNKNOWN_STORE", "Not a catalog system or a subject-data source.",
                         status=404)
    categories = set(DataCategory.objects.filter(activities__systems=system)
                     .values_list("key", flat=True))
    names = named if store in ALL_SOURCES else SYSTEM_SOURCES.get(store, ())
    return [named[name] for name in sorted(names) if name in named], categories
