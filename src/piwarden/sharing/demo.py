"""The demo's sharing: example recipients named, their flows activated through the real
steps (an overseas one after its transfer record, ``transfers.demo``), and one provision of
the demo person's data to the processor (``piwarden demo``)."""

from datetime import timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.catalog.services import load_catalog
from piwarden.sharing import services
from piwarden.sharing.models import AssessmentStatus, Counterparty, Disclosure, Flow, Status

OVERLAY = Path(__file__).resolve().parents[3] / "catalog" / "demo-recipients.yaml"
FLOWS = (("sharing.affiliates", "affiliate.intron_group"),
         ("sharing.processors", "partner.business"),
         ("disclosure.to_authorities", "authority.competent"),
         ("crossborder.overseas_transfer", "third_party.overseas"))


def load_demo_catalog(actor: Actor) -> None:
    """The operator's catalog with the example recipients named (written to the data folder)."""
    data = yaml.safe_load(Path(settings.PIWARDEN_CATALOG_FILE).read_text(encoding="utf-8"))
    named = yaml.safe_load(OVERLAY.read_text(encoding="utf-8"))
    for recipient in data["recipients"]:
        recipient.update(named.get(recipient["key"], {}))
    path = Path(settings.DATA_DIR) / "demo-catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_catalog(actor=actor, path=path)


def _activate(actor: Actor, activity: str, recipient: str) -> Flow:
    today = timezone.localdate()
    counterparty = Counterparty.objects.get(recipient=recipient)
    if counterparty.status != Status.ACTIVE:
        if not counterparty.contracts.exists() and recipient != "authority.competent":
            services.add_contract(actor=actor, counterparty=counterparty,
                                  kind="confidentiality", reference=f"NDA-DEMO-{recipient}",
                                  signed_on=today, starts_on=today)
            if recipient == "partner.business":
                services.add_contract(
                    actor=actor, counterparty=counterparty, kind="entrustment",
                    reference="DPA-DEMO-1", signed_on=today, starts_on=today,
                    ends_on=today + timedelta(days=365), purpose="Deliver ordered products",
                    method="Encrypted package over HTTPS",
                    categories=["user.name", "user.contact.phone", "user.address"],
                    protection_measures="TLS 1.2+, encryption at rest, access logging",
                    return_or_deletion="Deletion within 15 days of the contract's end")
        services.activate_counterparty(actor=actor, counterparty=counterparty)
    flow = Flow.objects.get(activity=activity, recipient=recipient)
    for assessment in flow.assessments.filter(status=AssessmentStatus.OPEN):
        services.decide_assessment(actor=actor, assessment=assessment, approve=True,
                                   risk="low", findings="Demo: example recipient.")
    if flow.status != Status.ACTIVE:
        flow = services.activate_flow(actor=actor, flow=flow)
    return flow


def set_up(*, actor: Actor, person) -> None:
    """Idempotent: reloads the demo catalog and reactivates; provides once."""
    from piwarden.transfers import demo as transfers_demo

    load_demo_catalog(actor)
    transfers_demo.set_up(actor=actor)
    flows = [_activate(actor, activity, recipient) for activity, recipient in FLOWS]
    if person is not None and not Disclosure.objects.filter(subject=person).exists():
        services.provide(actor=actor, flow=flows[1], subject_ids=[person.pk],
                         categories=["user.name", "user.contact"])
