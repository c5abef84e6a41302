"""Alerts in the subject-data registry: which alerts concerned the person.

Export: kind, severity, status, time and summary of each (summaries hold no PI values). Erase:
nothing; an alert is the record of a security measure taken (PIPL Art. 51, Cybersecurity Law
Art. 21) and holds references, never PI values, so it is kept.
"""

from piwarden.alerts.models import AlertSubject
from piwarden.audit.actors import Actor
from piwarden.subjects import registry
from piwarden.subjects.models import Subject

NAME = "alerts.alerts"
CATEGORY = "user.log.usage"


def export(subject: Subject) -> dict[str, list[dict]]:
    rows = [{"kind": link.alert.kind, "severity": link.alert.severity,
             "status": link.alert.status, "raised_at": link.alert.created_at.isoformat(),
             "summary": link.alert.summary}
            for link in AlertSubject.objects.filter(subject=subject).select_related("alert")
            .order_by("alert__created_at", "alert_id")]
    return {"alerts": rows}


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    if not AlertSubject.objects.filter(subject=subject).exists():
        return registry.Erased()
    return registry.Erased(kept=[registry.Kept(
        category=CATEGORY, legal_basis="legal_obligation", until=None,
        reason="Security alerts are the record of the protection measures taken (PIPL Art. 51, "
               "Cybersecurity Law Art. 21); they hold references, never PI values.")])


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(AlertSubject,), categories=(CATEGORY,),
                                      export=export, erase=erase))
