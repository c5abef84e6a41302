"""Fixtures of the sharing tests: the shipped catalog with named recipients (the policy names
only types of recipient; an operator names the companies in its catalog file)."""

import pytest
import yaml
from django.conf import settings

from piwarden.catalog.services import load_catalog

# Named recipients, as an operator would declare them. 127.0.0.1 is the tests' local HTTP
# server; 127.0.0.2 (also this machine) is a host no recipient declares.
NAMED = {
    "processor.messaging": {
        "legal_name": "Example SMS Co., Ltd.", "status": "active", "country": "CN",
        "contact": "dpo@sms.example.cn", "uscc": "91310000MA1FL0007C",
        "hosts": ["127.0.0.1", "sms.example.cn"],
        "categories": ["user.contact.phone", "user.contact.email", "user.name"],
        "purposes": ["security", "incident.notification", "sharing.processors"]},
    "partner.business": {
        "legal_name": "Example Service Partner Co., Ltd.", "status": "active", "country": "CN",
        "contact": "privacy@partner.example.cn", "uscc": "91110108MA00AAAA4F",
        "hosts": ["127.0.0.1"],
        "categories": ["user.name", "user.contact", "user.address", "user.account.id"],
        "purposes": ["sharing.processors"]},
    "affiliate.intron_group": {
        "legal_name": "Intron Digital (Shenzhen) Co., Ltd.", "status": "active",
        "country": "CN", "contact": "privacy@affiliate.example.cn",
        "uscc": "91440300MA5F0000X1", "hosts": ["127.0.0.1"],
        "categories": ["user.name", "user.contact", "user.account.id"],
        "purposes": ["sharing.affiliates"]},
    "partner.advertising": {
        "legal_name": "Example Ads Co., Ltd.", "status": "active", "country": "CN",
        "contact": "privacy@ads.example.cn", "uscc": "91310000MA1FL0007C",
        "hosts": ["ads.example.cn"], "script_hosts": ["https://cdn.ads.example.cn"],
        "categories": ["derived.statistics"], "purposes": ["statistics.sharing"]},
    "processor.data_storage": {
        "legal_name": "Example Storage Pte. Ltd.", "status": "active", "country": "SG",
        "contact": "privacy@storage.example.sg", "hosts": ["storage.example.sg"],
        "categories": ["user.name", "user.contact"], "purposes": ["sharing.processors"]},
}


def write_named_catalog(path, named=NAMED):
    """The shipped catalog with these recipients named; returns the file's path."""
    with open(settings.PIWARDEN_CATALOG_FILE, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    for recipient in data["recipients"]:
        recipient.update(named.get(recipient["key"], {}))
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


@pytest.fixture
def named_catalog(db, system_actor, tmp_path, fresh_caches):
    """Load the catalog with named recipients (rolled back with the test)."""
    return load_catalog(actor=system_actor, path=write_named_catalog(tmp_path / "named.yaml"))


@pytest.fixture(autouse=True)
def _sharing_dir(settings, tmp_path):
    settings.PIWARDEN_SHARING_DIR = tmp_path / "sharing"


@pytest.fixture
def registry_synced(named_catalog, system_actor):
    """The run-time registry made from the named catalog (counterparties, flows, PIPIAs)."""
    from piwarden.sharing import services

    return services.sync(actor=system_actor)


@pytest.fixture
def activate(registry_synced, system_actor):
    """Take a flow through the real steps: agreements, activation, PIPIA approval."""
    from datetime import timedelta

    from django.utils import timezone

    from piwarden.catalog.models import Recipient
    from piwarden.sharing import services
    from piwarden.sharing.models import AssessmentStatus, Counterparty, Flow, Status

    def make(activity, recipient, *, ends_on=None, **flow_settings):
        today = timezone.localdate()
        counterparty = Counterparty.objects.get(recipient=recipient)
        if counterparty.status != Status.ACTIVE:
            role = Recipient.objects.get(key=recipient).role
            if role != "authority":
                services.add_contract(
                    actor=system_actor, counterparty=counterparty, kind="confidentiality",
                    reference=f"NDA-{recipient}", signed_on=today, starts_on=today)
            if role == "processor":
                services.add_contract(
                    actor=system_actor, counterparty=counterparty, kind="entrustment",
                    reference=f"DPA-{recipient}", signed_on=today, starts_on=today,
                    ends_on=ends_on or today + timedelta(days=365),
                    purpose="Deliver messages", method="API", categories=["user.contact"],
                    protection_measures="TLS, encryption at rest",
                    return_or_deletion="Delete within 15 days of the end")
            services.activate_counterparty(actor=system_actor, counterparty=counterparty)
        flow = Flow.objects.get(activity=activity, recipient=recipient)
        if flow_settings:
            services.configure_flow(actor=system_actor, flow=flow, **flow_settings)
        for assessment in flow.assessments.filter(status=AssessmentStatus.OPEN):
            services.decide_assessment(actor=system_actor, assessment=assessment, approve=True,
                                       risk="low", findings="Reviewed for the tests.")
        return services.activate_flow(actor=system_actor, flow=flow)
    return make


@pytest.fixture
def person_with(system_actor, make_subject):
    """A subject with vault values, e.g. person_with(name="王小明", email="w@example.cn")."""
    from django.db import transaction

    from piwarden.vault import services as vault

    purposes = {"name": "service.provision", "phone": "account.registration",
                "email": "account.registration", "address": "service.provision",
                "id_number": "service.provision"}

    def make(**values):
        subject = make_subject()
        with transaction.atomic():
            for field, value in values.items():
                vault.put(actor=system_actor, subject=subject, field=field, value=value,
                          purpose=purposes[field])
        return subject
    return make
