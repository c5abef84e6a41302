"""The staff console shows payment and partner data masked, and creates partners through the
service (audited)."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from piwarden.audit.models import AuditEvent
from piwarden.partners.models import Partner
from piwarden.payments.models import PaymentProfile
from tests.accounts.conftest import logged_in_client
from tests.partners.conftest import make_partner, record, submit  # noqa: F401  (fixture)
from tests.staffreads.helpers import state_purpose

from .conftest import PLAINTEXT, details, put_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def console():
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="a long staff password"))
    for model in ("paymentprofile", "order", "transaction", "creditbalance"):
        state_purpose(client, f"payments/{model}", "payment.invoicing")
    state_purpose(client, "partners/partnerrecord", "partner.indirect_collection")
    return client


def test_payment_admin_is_masked(account, site, console):
    put_profile(logged_in_client(account), details())
    site.post("/api/v1/payments/orders", {"subject": str(account.subject.pk),
                                          "reference": "SO-A", "amount_minor": 100},
              content_type="application/json")
    profile = PaymentProfile.objects.get()
    pages = [reverse(f"admin:payments_{name}_changelist")
             for name in ("paymentprofile", "order", "transaction", "creditbalance")]
    pages.append(reverse("admin:payments_paymentprofile_change", args=[profile.pk]))
    for url in pages:
        page = console.get(url)
        assert page.status_code == 200, url
        for value in PLAINTEXT:
            assert value not in page.text, (url, value)
    assert "6222***********3446" in console.get(pages[0]).text


def test_partner_admin(console, make_partner):  # noqa: F811
    http = make_partner()
    submit(http, [record("adm-1", phone="13800000201", name="冯")])
    page = console.get(reverse("admin:partners_partnerrecord_changelist"))
    assert "138****0201" in page.text and "13800000201" not in page.text
    refused = console.post(reverse("admin:partners_partner_add"),
                           {"recipient": "processor.messaging", "name": "X", "is_active": "on",
                            "clients-TOTAL_FORMS": "0", "clients-INITIAL_FORMS": "0"})
    assert refused.status_code == 200 and not Partner.objects.filter(name="X").exists()
    created = console.post(reverse("admin:partners_partner_add"),
                           {"recipient": "partner.consulting", "name": "Consult Co.",
                            "is_active": "on", "clients-TOTAL_FORMS": "0",
                            "clients-INITIAL_FORMS": "0"})
    assert created.status_code == 302
    partner = Partner.objects.get(name="Consult Co.")
    assert AuditEvent.objects.filter(action="partners.partner_created",
                                     object_id=str(partner.pk)).exists()


def test_deactivated_partner_cannot_submit(console, make_partner):  # noqa: F811
    http = make_partner()
    partner = http.partner
    changed = console.post(reverse("admin:partners_partner_change", args=[partner.pk]),
                           {"name": partner.name, "clients-TOTAL_FORMS": "1",
                            "clients-INITIAL_FORMS": "1",
                            "clients-0-id": str(partner.clients.get().pk),
                            "clients-0-partner": str(partner.pk)})
    assert changed.status_code == 302, changed.content
    partner.refresh_from_db()
    assert not partner.is_active and partner.recipient == "partner.data_source"
    assert AuditEvent.objects.filter(action="partners.partner_changed").exists()
    response = submit(http, [record("off-1", phone="13800000202")])
    assert response.json()["error"]["code"] == "NOT_A_PARTNER_CLIENT"


def test_v_5_1a_card_digits_export_from_the_console_waits_for_approval(account, site,
                                                                        console):
    """V-5.1a: exporting orders with the card's last digits (L4) to CSV needs approval."""
    from piwarden.exports.models import FileExport, Status
    from piwarden.payments.models import Order

    site.post("/api/v1/payments/orders", {"subject": str(account.subject.pk),
                                          "reference": "SO-B", "amount_minor": 100},
              content_type="application/json")
    order = Order.objects.get()
    page = console.post(reverse("admin:payments_order_changelist"), {
        "action": "export_csv", "_selected_action": [order.pk], "apply": "1",
        "reason": "Reconciliation with the bank"}, follow=True)
    assert "waits for a privacy officer" in page.text
    export = FileExport.objects.get()
    assert export.status == Status.PENDING
    assert "user.financial.bank_account" in export.categories
    assert export.approvals_needed == 2  # user.financial has a second approver
