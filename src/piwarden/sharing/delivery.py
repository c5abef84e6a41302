"""Pushing a sealed package to the flow's endpoint, through egress control, after commit."""

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from piwarden.alerts import services as alerts
from piwarden.alerts.models import Severity
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.sharing import egress, packages
from piwarden.sharing.models import Provision, ProvisionStatus
from piwarden.sharing.services import SharingError, check_flow

ACTOR = Actor.system("sharing.delivery")


def push(provision: Provision) -> Provision:
    """POST the package (its JSON) to the flow's endpoint; the egress client refuses a host
    not registered for an active flow. The provision id is the idempotency key, so a retried
    push is one delivery for the recipient."""
    if provision.status != ProvisionStatus.PUSHING:
        return provision
    flow = provision.flow
    outcome, detail = ProvisionStatus.DELIVERED, {}
    try:
        check_flow(ACTOR, flow)  # still active now, not only when the package was made
        response = egress.post(
            flow.endpoint, content=packages.open_package(provision), actor=ACTOR,
            headers={"Content-Type": "application/json",
                     "Idempotency-Key": str(provision.pk)})
        detail["status_code"] = response.status_code
        if response.status_code >= 300:
            outcome = ProvisionStatus.FAILED
    except (SharingError, egress.EgressRefused, egress.DeliveryError) as error:
        outcome, detail["error"] = ProvisionStatus.FAILED, error.code
    with transaction.atomic():
        provision.status = outcome
        provision.delivered_at = timezone.now() if outcome == ProvisionStatus.DELIVERED else None
        provision.save(update_fields=["status", "delivered_at"])
        if outcome == ProvisionStatus.DELIVERED:
            packages.delete(provision)
        else:  # the package stays sealed until its expiry deletes it; staff provide again
            alerts.raise_alert(
                kind="sharing.push_failed", severity=Severity.MEDIUM, source="sharing.delivery",
                summary=f"A package for {flow.recipient} could not be pushed.",
                objects=[provision], detail={"recipient": flow.recipient, **detail})
        audit.record(actor=ACTOR, action="sharing.package_pushed", obj=provision,
                     categories=provision.categories,
                     outcome=Outcome.SUCCESS if outcome == ProvisionStatus.DELIVERED
                     else Outcome.FAILED,
                     detail={"recipient": flow.recipient, **detail})
    return provision


@task()
def push_provision(provision_id: str) -> str:
    provision = Provision.objects.select_related("flow").get(pk=provision_id)
    return push(provision).status
