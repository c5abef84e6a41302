"""The audit trail in the subject-data registry.

Export: the records about the subject (its ``subject``, or one of the people a record's child
rows name) — when, who (kind and id of the actor; another
person's id is withheld), what action, on which categories, for which purpose and legal
basis, and the outcome. Details are left out: they may name other objects. Erase: nothing; the
trail is append-only evidence that holds keys and names, never PI values, and is kept under a
legal obligation.
"""

from django.db.models import Q

from piwarden.audit.actors import Actor, ActorKind
from piwarden.audit.models import AuditEvent, AuditSubject
from piwarden.subjects import registry
from piwarden.subjects.models import Subject

NAME = "audit.trail"
COLUMNS = ("seq", "occurred_at", "actor_kind", "actor_id", "action", "object_type",
           "categories", "purpose", "legal_basis", "outcome")


def export(subject: Subject) -> dict[str, list[dict]]:
    own = str(subject.pk)
    rows = []
    named = AuditSubject.objects.filter(subject=subject).values("event_id")
    about = AuditEvent.objects.filter(Q(subject=subject) | Q(pk__in=named))
    for values in (about.order_by("seq")
                   .values_list(*COLUMNS).iterator(chunk_size=2000)):
        row = dict(zip(COLUMNS, values, strict=True))
        row["occurred_at"] = row["occurred_at"].isoformat()
        row["categories"] = " ".join(row["categories"])
        if row["actor_kind"] == ActorKind.PERSON and row["actor_id"] != own:
            row["actor_id"] = "(another person)"
        rows.append(row)
    return {"entries": rows}


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    if not (AuditEvent.objects.filter(subject=subject).exists()
            or AuditSubject.objects.filter(subject=subject).exists()):
        return registry.Erased()
    return registry.Erased(kept=[registry.Kept(
        category="user.log.usage", legal_basis="legal_obligation", until=None,
        reason="The audit trail is append-only evidence of every action on personal "
               "information (PIPL Art. 54, Cybersecurity Law Art. 21); its records hold "
               "keys and names, never PI values.")])


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(AuditEvent, AuditSubject),
                                      categories=("user.log.usage",), export=export,
                                      erase=erase))
