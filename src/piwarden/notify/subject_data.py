"""Notices in the subject-data registry: which campaigns reached the person, how and when.

Export: the campaign's title and kind, the channel, and the times (sent, shown, acknowledged,
called). No contact value lives here (those are in the vault and the outbox). Erase: nothing;
a delivery is the record that the handler told the person what the law requires (PIPL Art. 57
for an incident, §VIII of the policy for a change) and holds references only, so it is kept
as evidence for as long as the incident or policy records are.
"""

from piwarden.notify.models import Delivery, PhoneTask
from piwarden.subjects import registry
from piwarden.subjects.registry import iso

NAME = "notify.deliveries"
CATEGORY = "user.communication.records"


def export(subject) -> dict[str, list[dict]]:
    rows = [{"campaign": d.campaign.title, "kind": d.campaign.kind, "channel": d.channel,
             "status": d.status, "language": d.language, "sent_at": iso(d.created_at),
             "shown_at": iso(d.shown_at), "acknowledged_at": iso(d.acknowledged_at),
             "called_at": iso(d.called_at)}
            for d in Delivery.objects.filter(subject=subject).select_related("campaign")
            .order_by("created_at", "pk")]
    return {"notify_delivery": rows}


def erase(*, actor, subject, categories=None) -> registry.Erased:
    if not Delivery.objects.filter(subject=subject).exists():
        return registry.Erased()
    return registry.Erased(kept=[registry.Kept(
        category=CATEGORY, legal_basis="legal_obligation", until=None,
        reason="The record that you were told what the law requires (a security incident, a "
               "change of the privacy policy, a service ending); it holds no contact detail.")])


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(Delivery, PhoneTask),
                                      categories=(CATEGORY,),
                                      export=export, erase=erase))
