"""Staff access from abroad (X-7.1): a reveal from a network configured as overseas is
refused and audited, unless a transfer record of the entity working there covers it."""

import pytest
from django.urls import reverse

from piwarden.audit.models import AuditEvent
from piwarden.transfers import network
from piwarden.vault.models import VaultValue
from tests.roles.factories import enrol
from tests.staff import staff_client
from tests.staffreads.helpers import give_role

from .conftest import STORAGE_FLOW

pytestmark = pytest.mark.django_db
EMAIL = "wang@example.cn"
ABROAD, MAINLAND = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def overseas_networks(settings):
    settings.PIWARDEN_OVERSEAS_NETWORKS = ["203.0.113.0/24", "2001:db8::/32"]
    return settings


def _support():
    """Customer support (holds ``service.provision``, unmasks) with its authenticator."""
    staff = staff_client("vault", "view_vaultvalue", "reveal_vaultvalue")
    give_role(staff.user, "support")
    enrol(staff.user)
    return staff


def _reveal(client, row, ip):
    return client.post(reverse("admin:vault_vaultvalue_reveal", args=[row.pk]), {
        "purpose": "service.provision", "reason": "ticket 42: cannot log in"},
        REMOTE_ADDR=ip)


@pytest.fixture
def row(person_with):
    person = person_with(name="王小明", email=EMAIL)
    return VaultValue.objects.get(subject=person, field="email")


def test_x_7_1_networks_are_read_from_the_setting(overseas_networks):
    assert network.overseas(ABROAD).recipient == ""
    assert network.overseas("2001:db8::1") is not None
    assert network.overseas("::ffff:203.0.113.9") is not None  # IPv4 seen through IPv6
    assert network.overseas(MAINLAND) is None
    assert network.overseas("") is None and network.overseas("not an ip") is None
    assert network.refusal(ABROAD, "user.contact.email") == network.REFUSED
    assert network.refusal(MAINLAND, "user.contact.email") == ""


def test_x_7_1_no_network_configured_refuses_nobody(settings):
    settings.PIWARDEN_OVERSEAS_NETWORKS = []
    assert network.refusal(ABROAD, "user.contact.email") == ""


def test_x_7_1_a_malformed_network_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.PIWARDEN_OVERSEAS_NETWORKS = ["203.0.113.0/33"]
    with pytest.raises(ImproperlyConfigured):
        network.networks()


def test_x_7_1_staff_reveal_from_an_overseas_network_is_refused_and_audited(
        overseas_networks, row):
    staff = _support()
    refused = _reveal(staff, row, ABROAD)
    assert refused.status_code == 200
    assert EMAIL not in refused.text
    assert "outside mainland China" in refused.text
    event = AuditEvent.objects.filter(action="vault.reveal_refused").get()
    assert (event.actor_kind, event.outcome) == ("staff", "denied")
    assert event.detail["refusal"] == network.REFUSED
    assert not AuditEvent.objects.filter(action="vault.value_revealed").exists()
    shown = _reveal(staff, row, MAINLAND)
    assert f'<code id="revealed-value">{EMAIL}</code>' in shown.text


def test_x_7_1_a_transfer_record_of_the_entity_working_there_covers_staff_access(
        settings, row, make_record, officer):
    """Staff of the Singapore storage provider work from 203.0.113.0/24: its valid transfer
    record covers the contact categories, not others; suspended, it covers nothing."""
    settings.PIWARDEN_OVERSEAS_NETWORKS = ["203.0.113.0/24=processor.data_storage"]
    assert network.refusal(ABROAD, "user.contact.email") == network.REFUSED  # no record yet
    record = make_record(*STORAGE_FLOW, categories=["user.contact"])
    assert network.refusal(ABROAD, "user.contact.email") == ""
    assert network.refusal(ABROAD, "user.id_info.id_number") == network.REFUSED
    staff = _support()
    assert f'<code id="revealed-value">{EMAIL}</code>' in _reveal(staff, row, ABROAD).text
    from piwarden.transfers import services

    services.set_status(actor=officer, record=record, status="suspended", reason="Audit.")
    assert network.refusal(ABROAD, "user.contact.email") == network.REFUSED


def test_x_7_1_only_staff_reveals_are_checked(overseas_networks, row, system_actor):
    """A system job has no network: the check concerns people reading PI from abroad."""
    from piwarden.vault import services as vault

    assert vault.reveal(actor=system_actor, subject=row.subject, field="email",
                        purpose="service.provision", ip=ABROAD) == EMAIL


def test_x_7_1_every_staff_reveal_in_a_request_is_checked(overseas_networks, row):
    """Paths that open a value or a sealed file without passing an address (evidence, consent
    scans) are checked too: the vault reads the request's address."""
    from django.contrib.auth import get_user_model

    from piwarden.audit.actors import Actor
    from piwarden.audit.context import client_ip_var
    from piwarden.vault import services as vault

    staff = Actor.staff(get_user_model().objects.create_user("abroad", is_staff=True))
    token = client_ip_var.set(ABROAD)
    try:
        with pytest.raises(vault.RevealRefused) as refused:
            vault.reveal(actor=staff, subject=row.subject, field="email",
                         purpose="service.provision", reason="ticket 7")
    finally:
        client_ip_var.reset(token)
    assert refused.value.reason == network.REFUSED
