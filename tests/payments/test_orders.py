"""Orders, credit and refunds; the cancellation pre-checks and their settle paths; erasure
keeps transaction records without the vault; export; retention of kept records."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.payments import services, subject_data
from piwarden.payments.models import CreditBalance, Order, PaymentProfile, Transaction
from piwarden.subjects import registry
from piwarden.vault import services as vault
from tests.accounts.conftest import logged_in_client

from .conftest import details, put_profile

pytestmark = pytest.mark.django_db


def _order(site, account, reference, amount=2500):
    response = site.post("/api/v1/payments/orders", {
        "subject": str(account.subject.pk), "reference": reference, "amount_minor": amount,
        "description": "Annual licence"}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response


def _top_up(site, account, amount=10000):
    response = site.post("/api/v1/payments/credit", {
        "subject": str(account.subject.pk), "amount_minor": amount,
        "provider_reference": "TOP-1", "card_last4": "4242"}, content_type="application/json")
    assert response.status_code == 201, response.content


def _codes(subject):
    return {(r.code, r.blocking) for r in registry.prechecks(subject)}


def test_site_api_needs_its_scope(account, system_actor):
    from piwarden.clients import services as clients

    _, key = clients.create_client(actor=system_actor, name="no-scope", scopes=["leads:write"])
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
        "/api/v1/payments/orders", {"subject": str(account.subject.pk), "reference": "X",
                                    "amount_minor": 1}, content_type="application/json")
    assert response.status_code == 403
    assert Client().post("/api/v1/payments/credit", {}).status_code == 401


def test_unfinished_order_reminder_settled_by_cancelling_on_the_page(account, make_account,
                                                                    site):
    other = make_account()
    _order(site, account, "SO-10")
    assert _codes(account.subject) == {("PAYMENTS_UNFINISHED_ORDERS", True)}
    reminder = registry.prechecks(account.subject)[0]
    assert reminder.settle_url == "/payments/"
    # Another person can neither see nor cancel it.
    stranger = logged_in_client(other)
    assert stranger.get("/api/v1/payments/me/orders").json() == []
    assert stranger.post("/api/v1/payments/me/orders/SO-10/cancel").status_code == 404
    assert stranger.post("/payments/orders/SO-10/cancel/").status_code == 404
    client = logged_in_client(account)
    page = client.get(reminder.settle_url).content.decode()
    assert 'data-order="SO-10"' in page and "25.00 CNY" in page
    assert client.post("/payments/orders/SO-10/cancel/").status_code == 302
    assert Order.objects.get().status == "cancelled"
    assert _codes(account.subject) == set()


def test_paid_order_is_a_transaction_not_a_reminder(account, site):
    _order(site, account, "SO-11")
    paid = site.post("/api/v1/payments/orders/SO-11/payments",
                     {"provider_reference": "PAY-11", "provider_token": "tok_abc",
                      "card_last4": "4242", "invoice_number": "FP-11"},
                     content_type="application/json")
    assert paid.status_code == 201 and paid.json()["card_last4"] == "4242"
    assert _codes(account.subject) == set()
    client = logged_in_client(account)
    assert client.post("/api/v1/payments/me/orders/SO-11/cancel").status_code == 409
    assert [t["invoice_number"] for t in client.get("/api/v1/payments/me/transactions").json()] \
        == ["FP-11"]


def test_open_balance_reminder_settled_by_a_refund(account, site):
    _top_up(site, account)
    assert _codes(account.subject) == {("PAYMENTS_OPEN_BALANCE", True)}
    reminder = registry.prechecks(account.subject)[0]
    client = logged_in_client(account)
    assert "100.00 CNY" in client.get(reminder.settle_url).content.decode()
    assert client.post(reminder.settle_url).status_code == 302
    assert CreditBalance.objects.get().amount_minor == 0
    refund = Transaction.objects.get(kind="refund")
    assert (refund.status, refund.amount_minor) == ("pending", 10000)
    assert _codes(account.subject) == {("PAYMENTS_REFUND_PENDING", False)}
    assert client.post("/api/v1/payments/me/refund").json()["error"]["code"] == "NO_BALANCE"
    done = site.post(f"/api/v1/payments/refunds/{refund.pk}/complete",
                     {"provider_reference": "RF-1"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert _codes(account.subject) == set()


def test_balance_api(account, site):
    _top_up(site, account, 1234)
    client = logged_in_client(account)
    assert client.get("/api/v1/payments/me/balance").json()["balance"] == 1234
    assert client.post("/api/v1/payments/me/refund").json()["amount_minor"] == 1234


def test_erasure_keeps_transactions_without_the_vault(account, site, settings):
    """After erasure and crypto-shredding, transaction records stay (restricted, kept for the
    legal period, reported as Kept); the profile, orders and token are gone; export still
    lists the kept records; a second erasure does nothing more."""
    settings.PIWARDEN_TRANSACTION_RETENTION_YEARS = 5
    client = logged_in_client(account)
    assert put_profile(client, details()).status_code == 200
    _order(site, account, "SO-20")
    site.post("/api/v1/payments/orders/SO-20/payments",
              {"provider_reference": "PAY-20", "provider_token": "tok_x", "card_last4": "4242",
               "invoice_number": "FP-20"}, content_type="application/json")
    exported = subject_data.export(account.subject)
    assert exported["payment_profile"][0]["tax_id"] == "91110000600037341L"
    assert exported["payment_profile"][0]["bank_account"] == "6222020200112233446"
    source = next(s for s in registry.sources() if s.name == "payments")
    actor = Actor.system("tests")
    result = source.erase(actor=actor, subject=account.subject, categories=None)
    vault.shred(actor=actor, subject=account.subject, reason="erasure test")
    today = timezone.localdate()
    assert result.erased >= 9 and result.anonymized == 1
    assert [(k.category, k.legal_basis) for k in result.kept] == [
        ("user.financial.transaction", "legal_obligation")]
    assert result.kept[0].until == today.replace(year=today.year + 5)
    assert not PaymentProfile.objects.exists() and not Order.objects.exists()
    kept = Transaction.objects.get()
    assert kept.restricted and (kept.amount_minor, kept.card_last4, kept.invoice_number,
                                kept.provider_reference) == (2500, "4242", "FP-20", "PAY-20")
    assert subject_data.export(account.subject)["transactions"][0]["restricted"] is True
    assert client.get("/api/v1/payments/me/transactions").json() == []  # restricted from use
    again = source.erase(actor=actor, subject=account.subject, categories=None)
    assert (again.erased, again.anonymized, len(again.kept)) == (0, 0, 1)


def test_retention_expires_kept_transactions(account, site):
    """The collection retention job expires kept records once both the catalog period and
    the configured legal period have passed, not before."""
    from piwarden.collection import retention as job

    _order(site, account, "SO-30")
    site.post("/api/v1/payments/orders/SO-30/payments", {"provider_reference": "PAY-30"},
              content_type="application/json")
    services.erase(actor=Actor.system("tests"), subject=account.subject)
    item = next(r for r in registry.retentions() if r.name == "payments.kept_transactions")
    assert item.activity == "payment.transaction_records"
    actor = Actor.system("tests")
    assert job.run(actor=actor)["payments.kept_transactions"] == 0
    kept = Transaction.objects.get()
    Transaction.objects.filter(pk=kept.pk).update(
        occurred_at=kept.occurred_at - datetime.timedelta(days=3 * 366 + 1),
        kept_until=timezone.localdate() - datetime.timedelta(days=1))
    due = {d.name: d.due for d in job.due()}
    assert due["payments.kept_transactions"] == 1
    assert job.run(actor=actor)["payments.kept_transactions"] == 1
    assert not Transaction.objects.exists()


def test_retention_years_cannot_go_below_the_law(settings):
    from piwarden.payments import conf

    settings.PIWARDEN_TRANSACTION_RETENTION_YEARS = 2
    with pytest.raises(ValueError):
        conf.retention_years()


def test_pages_in_simplified_chinese(account):
    client = logged_in_client(account)
    home = client.get("/payments/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    form = client.get("/payments/profile/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "付款和发票" in home and "预付余额" in home
    assert "单独同意" in form and "切勿在此输入银行卡号" in form


def test_partial_erasure_deletes_only_the_named_categories(account):
    client = logged_in_client(account)
    put_profile(client, details())
    result = services.erase(actor=Actor.system("tests"), subject=account.subject,
                            categories={"user.id_info"})
    assert result.erased == 1 and result.kept == []
    profile = client.get("/api/v1/payments/me/profile").json()
    assert profile["id_number"] is None and profile["bank_account"] == "6222***********3446"
