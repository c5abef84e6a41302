"""Card numbers, CVVs and payment passwords are refused before anything is stored, and no
payment data reaches the database in plaintext or the logs."""

import re

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import serializers

from piwarden.payments import carddata
from piwarden.payments.models import Order, PaymentProfile, Transaction
from piwarden.vault.models import VaultValue
from tests.accounts.conftest import logged_in_client

from .conftest import BANK_ACCOUNT, CARD, PLAINTEXT, UNIONPAY_CARD, details, put_profile

pytestmark = pytest.mark.django_db


def _dump() -> str:
    parts = [serializers.serialize("json", model.objects.all()) for model in apps.get_models()]
    parts += [str(s.get_decoded()) for s in Session.objects.all()]
    return "\n".join(parts)


def _log_text(caplog) -> str:
    """The log lines, without the savepoint statements and server-side cursor names: Django
    names both after the thread id, a long number that can happen to pass the Luhn check."""
    text = "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, 'params', '')} "
                      f"{getattr(r, 'sql', '')}" for r in caplog.records
                      if "SAVEPOINT" not in str(getattr(r, "sql", "")))
    return re.sub(r"_django_curs_\d+", "_django_curs_N", text)


@pytest.mark.parametrize("overrides", [
    {"remarks": f"my card {CARD}"},
    {"billing": UNIONPAY_CARD},
    {"name": "Qian", "cvv": "123"},
    {"remarks": "CVV: 321"},
    {"remarks": "支付密码 888888"},
    {"payment_password": "888888"},
])
def test_card_data_refused_before_anything_is_stored(account, overrides, logged):
    client = logged_in_client(account)
    response = put_profile(client, details(**overrides))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "CARD_DATA_REFUSED" and error["detail"]["fields"]
    assert CARD not in response.content.decode() and "888888" not in response.content.decode()
    assert not VaultValue.objects.filter(field__startswith="payments_").exists()
    assert not PaymentProfile.objects.exists()


def test_bank_account_is_declared_pi_not_a_card(account):
    """A Chinese debit card number is the bank account number: it passes Luhn, it is the
    one field exempt from the card scan, and it is stored encrypted and masked."""
    assert carddata.card_numbers(BANK_ACCOUNT)
    response = put_profile(logged_in_client(account), details())
    assert response.status_code == 200


def test_site_api_refuses_card_data(account, site):
    create = site.post("/api/v1/payments/orders", {
        "subject": str(account.subject.pk), "reference": "SO-1", "amount_minor": 1999,
        "description": f"pay with {CARD}"}, content_type="application/json")
    assert create.status_code == 422 and create.json()["error"]["code"] == "CARD_DATA_REFUSED"
    assert not Order.objects.exists()
    site.post("/api/v1/payments/orders", {"subject": str(account.subject.pk),
                                          "reference": "SO-1", "amount_minor": 1999},
              content_type="application/json")
    paid = site.post("/api/v1/payments/orders/SO-1/payments",
                     {"provider_reference": "PAY-1", "provider_token": UNIONPAY_CARD,
                      "card_last4": "8776"}, content_type="application/json")
    assert paid.json()["error"]["detail"] == {"fields": ["provider_token"]}
    bad_last4 = site.post("/api/v1/payments/orders/SO-1/payments",
                          {"provider_reference": "PAY-1", "card_last4": "48776"},
                          content_type="application/json")
    assert bad_last4.json()["error"]["code"] == "LAST4_INVALID"
    assert not Transaction.objects.exists()
    assert Order.objects.get().status == "pending"


def test_no_card_number_and_no_payment_pi_in_database_or_logs(account, site, logged):
    """A whole flow, with attempts to submit card data in between: a dump of every table and
    every log line (SQL included) holds no Luhn-valid card number and no payment detail."""
    client = logged_in_client(account)
    assert put_profile(client, details(remarks=f"card {CARD}")).status_code == 422
    assert put_profile(client, details()).status_code == 200
    page = client.post("/payments/profile/", {"notice_version": details()["notice_version"],
                                              "invoice_type": "personal",
                                              "remarks": UNIONPAY_CARD})
    assert page.status_code == 422 and UNIONPAY_CARD not in page.content.decode()
    site.post("/api/v1/payments/orders", {"subject": str(account.subject.pk),
                                          "reference": "SO-2", "amount_minor": 5000},
              content_type="application/json")
    assert site.post("/api/v1/payments/orders/SO-2/payments",
                     {"provider_reference": "PAY-2", "provider_token": "tok_9f8e7d",
                      "card_last4": "1111", "invoice_number": "FP-0001"},
                     content_type="application/json").status_code == 201
    assert client.get("/api/v1/payments/me/profile").status_code == 200
    assert client.get("/payments/").status_code == 200
    dump, logs = _dump(), _log_text(logged)
    assert "INSERT" in logs  # the SQL really was logged
    for text in (dump, logs):
        found = carddata.card_numbers(text.replace("\\u", " "))
        assert found == [], [text[max(0, text.find(f) - 80):text.find(f) + 40] for f in found]
        for value in PLAINTEXT:
            assert value not in text, value
        assert CARD.replace(" ", "") not in text and UNIONPAY_CARD not in text
