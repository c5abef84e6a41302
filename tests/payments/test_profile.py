"""The payment profile: sensitive PI stored only with separate consent, in the vault, masked."""

import pytest

from piwarden.audit.actors import Actor
from piwarden.consent import services as consent
from piwarden.consent.models import ConsentEvent
from piwarden.payments.models import PaymentProfile
from piwarden.vault.models import VaultValue
from tests.accounts.conftest import logged_in_client

from .conftest import PLAINTEXT, USCC, details, put_profile

pytestmark = pytest.mark.django_db


def _payment_values(subject):
    return VaultValue.objects.filter(subject=subject, field__in=[
        "bank_account", "payments_name", "payments_id_number", "payments_billing",
        "payments_address", "payments_invoice_title", "payments_tax_id", "payments_remarks"])


def test_without_separate_consent_nothing_is_stored(account):
    client = logged_in_client(account)
    response = put_profile(client, details(consent=False))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "SEPARATE_CONSENT_REQUIRED"
    assert not _payment_values(account.subject).exists()
    assert not PaymentProfile.objects.exists()


def test_with_separate_consent_stored_masked_everywhere(account):
    client = logged_in_client(account)
    response = put_profile(client, details())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["bank_account"] == "6222***********3446"
    assert body["tax_id"] == "9111**********341L"
    assert body["address"] == "浙江省 杭州市 ****"
    text = response.content.decode() + client.get("/payments/").content.decode()
    for value in PLAINTEXT:
        assert value not in text, value
    assert _payment_values(account.subject).count() == 8
    event = ConsentEvent.objects.get(subject=account.subject, purpose="payment.invoicing")
    assert event.scope == "separate.sensitive" and event.channel == "api"


def test_granted_consent_covers_later_edits_until_withdrawn(account):
    client = logged_in_client(account)
    assert put_profile(client, details()).status_code == 200
    assert put_profile(client, {"notice_version": details()["notice_version"],
                                "remarks": "new remark"}).status_code == 200
    consent.withdraw(actor=Actor.person(account.subject), subject=account.subject,
                     purpose="payment.invoicing", scope="separate.sensitive",
                     notice_text="withdraw", channel="web")
    response = put_profile(client, {"notice_version": details()["notice_version"],
                                    "remarks": "after withdrawal"})
    assert response.status_code == 403


@pytest.mark.parametrize(("version", "status", "code"), [
    ("", 422, "NOTICE_VERSION_REQUIRED"), ("2019.1", 409, "NOTICE_OUTDATED")])
def test_notice_version(account, version, status, code):
    response = put_profile(logged_in_client(account), details(notice_version=version or None))
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not _payment_values(account.subject).exists()


@pytest.mark.parametrize(("overrides", "code"), [
    ({"tax_id": "91110000600037341X"}, "TAX_ID_INVALID"),
    # The code's own check character is right, the organisation code's (GB 11714) is not:
    # refused as everywhere else in the project (``identifiers.is_uscc``).
    ({"tax_id": "91350100M000100Y56"}, "TAX_ID_INVALID"),
    ({"tax_id": "91990000600037341B"}, "TAX_ID_INVALID"),  # 99: no such region
    ({"tax_id": None}, "COMPANY_INVOICE_INCOMPLETE"),
    ({"id_number": "110101199003071234"}, "ID_CHECKSUM_INVALID"),
    ({"invoice_type": "friend"}, "INVOICE_TYPE_INVALID"),
    ({"unknown": "x"}, "VALIDATION_ERROR"),
])
def test_invalid_details_are_refused(account, overrides, code):
    response = put_profile(logged_in_client(account), details(**overrides))
    assert (response.status_code, response.json()["error"]["code"]) == (422, code)
    assert not _payment_values(account.subject).exists()


def test_tax_id_as_typed_is_compacted(account):
    """Spaces, dashes and lower case are accepted and stored compact."""
    response = put_profile(logged_in_client(account),
                           details(tax_id="91350100-m000 100y43"))
    assert response.status_code == 200, response.content
    assert response.json()["tax_id"] == "9135**********0Y43"


def test_personal_invoice_needs_no_tax_id(account):
    response = put_profile(logged_in_client(account),
                           details(invoice_type="personal", tax_id=None, invoice_title=None))
    assert response.status_code == 200
    assert response.json()["tax_id"] is None and USCC


def test_delete_profile(account):
    client = logged_in_client(account)
    put_profile(client, details())
    assert client.delete("/api/v1/payments/me/profile").status_code == 204
    assert not _payment_values(account.subject).exists()
    assert client.get("/api/v1/payments/me/profile").json()["exists"] is False


def test_profile_api_needs_the_person():
    from django.test import Client

    assert Client().get("/api/v1/payments/me/profile").status_code == 401


def test_profile_page_form(account):
    """The form saves with the consent ticked; an outdated notice re-renders with the current
    version; without the consent nothing is saved."""
    client = logged_in_client(account)
    assert client.get("/payments/profile/").status_code == 200
    form = {"notice_version": details()["notice_version"], "invoice_type": "personal",
            "name": "钱多多", "province": "浙江省", "city": "杭州市", "street": "文三路 477 号"}
    refused = client.post("/payments/profile/", form)
    assert refused.status_code == 403 and b"SEPARATE_CONSENT_REQUIRED" in refused.content
    stale = client.post("/payments/profile/", {**form, "notice_version": "2019.1",
                                               "consent": "on"})
    assert stale.status_code == 409 and b"NOTICE_OUTDATED" in stale.content
    assert f'value="{details()["notice_version"]}"'.encode() in stale.content
    assert not _payment_values(account.subject).exists()
    saved = client.post("/payments/profile/", {**form, "consent": "on"})
    assert saved.status_code == 302
    page = client.get("/payments/").content.decode()
    assert "钱*" in page and "浙江省 杭州市 ****" in page and "文三路" not in page
