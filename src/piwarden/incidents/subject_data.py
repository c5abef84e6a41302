"""Incidents in the subject-data registry: the incidents found to concern the person.

Export: each incident's title-free reference, severity, the categories concerned and whether
they were read or changed. Erase: nothing; the list is the record of a security incident the
operator must be able to report and prove (PIPL Art. 57, 51), and holds ids, never PI values.
"""

from piwarden.audit.actors import Actor
from piwarden.incidents.models import AffectedPerson
from piwarden.subjects import registry
from piwarden.subjects.models import Subject

NAME = "incidents.affected"
CATEGORY = "user.log.usage"


def export(subject: Subject) -> dict[str, list[dict]]:
    rows = [{"incident": link.incident_id, "severity": link.incident.severity,
             "detected_at": registry.iso(link.incident.detected_at),
             "categories": link.categories, "read": link.read, "changed": link.changed}
            for link in AffectedPerson.objects.filter(subject=subject)
            .select_related("incident").order_by("incident__detected_at", "incident_id")]
    return {"incidents": rows}


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    if not AffectedPerson.objects.filter(subject=subject).exists():
        return registry.Erased()
    return registry.Erased(kept=[registry.Kept(
        category=CATEGORY, legal_basis="legal_obligation", until=None,
        reason="Incident records are the proof of the notice and report PIPL Art. 57 asks "
               "for; they hold ids, never PI values.")])


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(AffectedPerson,),
                                      categories=(CATEGORY,), export=export, erase=erase))
