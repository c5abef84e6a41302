"""Fixtures of the partners tests: a partner with a linked API key, people's authorizations,
and the accounts fixtures (real sign-up and verification) for the privacy-center page."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from piwarden.caches import freshness
from piwarden.clients import services as clients
from piwarden.consent import decisions
from piwarden.consent.services import policy_version
from piwarden.partners import services
from tests.accounts.conftest import (  # noqa: F401  (fixtures)
    account_settings,
    inbox,
    make_account,
    sms,
    smtp_server,
)

URL = "/api/v1/partners/imports"


@pytest.fixture(autouse=True)
def _fresh_decision_cache(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    freshness.reset()
    decisions.clear_cache()
    yield
    freshness.reset()
    decisions.clear_cache()


@pytest.fixture
def make_partner(system_actor, client):
    """A partner (catalog recipient partner.data_source) and a Django test client holding an
    API key linked to it."""
    from django.test import Client

    from piwarden.catalog.models import Recipient

    def make(recipient="partner.data_source"):
        name = "Data Source Co." if recipient == "partner.data_source" else recipient
        partner = services.Partner.objects.filter(recipient=recipient).first() or \
            services.create_partner(actor=system_actor, recipient=recipient, name=name)
        api_client, key = clients.create_client(actor=system_actor,
                                                name=f"partner-{uuid.uuid4()}",
                                                scopes=["partners:import"])
        services.link_client(actor=system_actor, partner=partner, client=api_client)
        http = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        http.partner = partner
        assert Recipient.objects.filter(key=recipient).exists()
        return http
    return make


def authorization(**overrides):
    today = timezone.localdate()
    auth = {"reference": "AUTH-2026-0001",
            "categories": ["user.name", "user.contact.phone", "user.contact.email"],
            "purposes": ["partner.indirect_collection"],
            "authorized_on": (today - timedelta(days=10)).isoformat(), "expires_on": None}
    auth.update(overrides)
    return auth


def record(external_id, *, phone=None, email=None, name=None, **auth):
    data = {"external_id": external_id, "authorization": authorization(**auth)}
    for key, value in (("phone", phone), ("email", email), ("name", name)):
        if value is not None:
            data[key] = value
    return data


def submit(http, records, *, version="current"):
    body = {"records": records, "reference": "batch-1"}
    if version is not None:
        body["notice_version"] = policy_version() if version == "current" else version
    return http.post(URL, body, content_type="application/json")
