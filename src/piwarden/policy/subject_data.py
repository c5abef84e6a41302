"""Policy acceptances in the subject-data registry: which policy versions the person accepted.

Export: version, time and how. Erase: kept; an acceptance is the evidence of what the person
was told and agreed to (PIPL Art. 14, 17), like the consent ledger, and holds no PI value.
"""

from piwarden.audit.actors import Actor
from piwarden.policy.models import PolicyAcceptance
from piwarden.subjects import registry
from piwarden.subjects.models import Subject

NAME = "policy.acceptances"
CATEGORY = "user.consent"


def export(subject: Subject) -> dict[str, list[dict]]:
    rows = [{"version": row.version.version, "accepted_at": registry.iso(row.accepted_at),
             "how": row.how}
            for row in PolicyAcceptance.objects.filter(subject=subject)
            .select_related("version").order_by("accepted_at", "id")]
    return {"policy_acceptances": rows}


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    if not PolicyAcceptance.objects.filter(subject=subject).exists():
        return registry.Erased()
    return registry.Erased(kept=[registry.Kept(
        category=CATEGORY, legal_basis="legal_obligation", until=None,
        reason="Which policy version a person accepted is the evidence of what they were told "
               "(PIPL Art. 14, 17); it holds no PI value.")])


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(PolicyAcceptance,),
                                      categories=(CATEGORY,), export=export, erase=erase))
