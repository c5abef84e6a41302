"""Fixtures of the payments tests: real accounts (accounts fixtures), a site API key with
``payments:write``, and a full set of payment details."""

import uuid

import pytest
from django.test import Client

from piwarden.caches import freshness
from piwarden.clients import services as clients
from piwarden.consent import decisions
from piwarden.consent.services import policy_version
from tests.accounts.conftest import (  # noqa: F401  (fixtures)
    account,
    account_settings,
    inbox,
    make_account,
    sms,
    smtp_server,
)
from tests.accounts.test_id_info import ADULT_ID

CARD = "4111 1111 1111 1111"
UNIONPAY_CARD = "6212261202009988776"
BANK_ACCOUNT = "6222 0202 0011 2233 446"
USCC = "91110000600037341L"


@pytest.fixture(autouse=True)
def _fresh_decision_cache(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    freshness.reset()
    decisions.clear_cache()
    yield
    freshness.reset()
    decisions.clear_cache()


def details(**overrides) -> dict:
    data = {"notice_version": policy_version(), "consent": True, "invoice_type": "company",
            "name": "钱多多", "id_type": "prc_resident_id", "id_number": ADULT_ID,
            "bank_account": BANK_ACCOUNT, "billing": "Billing dept, attention Qian Duoduo",
            "address": {"province": "浙江省", "city": "杭州市", "street": "文三路 477 号",
                        "postcode": "310013"},
            "invoice_title": "杭州多多科技有限公司", "tax_id": USCC,
            "remarks": "deliver fapiao to reception desk 7"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


PLAINTEXT = ("钱多多", ADULT_ID, "622202020011223", "Qian Duoduo", "文三路", "杭州多多科技",
             "reception desk 7")


@pytest.fixture
def site(system_actor):
    _, key = clients.create_client(actor=system_actor, name=f"shop-{uuid.uuid4()}",
                                   scopes=["payments:write"])
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def put_profile(client, data):
    return client.put("/api/v1/payments/me/profile", data, content_type="application/json")
