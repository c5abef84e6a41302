"""Pushed packages: through egress control, to the flow's declared endpoint, once."""

import json

import pytest

from piwarden.audit.models import AuditEvent
from piwarden.sharing import delivery, services
from piwarden.sharing.models import ProvisionStatus
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint():
    with Receiver("127.0.0.1") as server:
        yield server


def test_z_2_a_pushed_package_reaches_the_declared_endpoint_once(
        activate, person_with, system_actor, endpoint):
    """The package arrives with the provision id as idempotency key, holds only the allowed
    values, and is deleted once delivered."""
    flow = activate("sharing.processors", "partner.business", method="push",
                    endpoint=endpoint.url("/packages"), categories=["user.name"])
    person = person_with(name="黄二", email="huang@example.cn")
    provision, token = services.provide(actor=system_actor, flow=flow,
                                        subject_ids=[person.pk])
    assert token == "" and provision.status == ProvisionStatus.PUSHING
    delivery.push(provision)
    [received] = endpoint.received
    assert received.headers["idempotency-key"] == str(provision.pk)
    body = json.loads(received.raw)
    assert body["records"][0]["name"] == "黄二" and "huang@example.cn" not in received.raw.decode()
    provision.refresh_from_db()
    assert provision.status == ProvisionStatus.DELIVERED
    assert AuditEvent.objects.filter(action="sharing.package_pushed").exists()
    delivery.push(provision)  # a retried task after delivery sends nothing again
    assert len(endpoint.received) == 1


def test_z_2_an_endpoint_outside_the_recipients_hosts_cannot_be_set(registry_synced,
                                                                    system_actor):
    from piwarden.sharing.models import Flow

    flow = Flow.objects.get(activity="sharing.processors", recipient="partner.business")
    with pytest.raises(services.SharingError) as refused:
        services.configure_flow(actor=system_actor, flow=flow, method="push",
                                endpoint="https://collector.example.com/in")
    assert refused.value.code == "HOST_NOT_DECLARED"
