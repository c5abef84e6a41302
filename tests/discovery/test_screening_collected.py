"""Screening of the other free text people give (V-5.1a, C-2.2.2): campaign entries (name,
title, occupation; the consent-form scan is an image or PDF, not scanned) and payment remarks
(sensitive PI kept under the profile's separate consent, undeclared PI redacted)."""

import pytest
from django.test import Client

from piwarden.accounts import services as accounts
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.campaigns import services as campaigns
from piwarden.consent import services as consent
from piwarden.payments.services import FIELDS as PAYMENT_FIELDS
from piwarden.vault import services as vault
from tests.accounts.conftest import (  # noqa: F401  (fixtures)
    account,
    account_settings,
    inbox,
    logged_in_client,
    make_account,
    sms,
    smtp_server,
)
from tests.campaigns import factories
from tests.payments.conftest import details, put_profile

from .test_screening import EMAIL, MOBILE, VALID_ID, tables_holding

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


@pytest.fixture(autouse=True)
def _isolated(fresh_caches, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_v_5_1a_campaign_entry_text_is_screened_before_the_vault():
    camp = factories.campaign()
    values = campaigns.EntryValues(name="王芳", title=f"Ms, call {MOBILE}", phone=MOBILE,
                                   occupation=f"engineer, ID {VALID_ID}")
    entry = campaigns.record_entry(actor=SYSTEM, campaign=camp, recorded_by=None,
                                   via="console", values=values,
                                   notice_version=consent.policy_version(),
                                   scan=factories.scan_file(VALID_ID.encode()))
    reveal = {field: vault.reveal(actor=SYSTEM, subject=entry.subject, field=field,
                                  purpose="campaign.offline")
              for field in ("campaigns_title", "campaigns_occupation")}
    assert reveal == {"campaigns_title": f"Ms, call {MOBILE}",  # declared: kept
                      "campaigns_occupation": "engineer, ID [REDACTED]"}
    assert tables_holding(VALID_ID) == []  # the scan is sealed: not scanned, not readable
    records = AuditEvent.objects.filter(action="discovery.screened").order_by("seq")
    assert [(r.detail["field"], r.detail["redacted"]) for r in records] == [
        ("campaigns_title", []), ("campaigns_occupation", ["user.id_info"])]


def test_v_5_1a_payment_remarks_keep_sensitive_pi_under_separate_consent(account):  # noqa: F811
    """The profile's purpose declares ID information and has the person's separate consent:
    the ID number stays. It declares no contact details: the e-mail address goes."""
    client = logged_in_client(account)
    remarks = f"fapiao to {EMAIL}, ID {VALID_ID}"
    response = put_profile(client, details(remarks=remarks))
    assert response.status_code == 200, response.content
    stored = vault.reveal(actor=SYSTEM, subject=account.subject,
                          field=PAYMENT_FIELDS["remarks"], purpose="payment.invoicing")
    assert stored == f"fapiao to [REDACTED], ID {VALID_ID}"
    assert tables_holding(EMAIL) == []
    record = AuditEvent.objects.get(action="discovery.screened")
    assert record.detail == {"field": "payments_remarks", "source": "payments.save_profile",
                             "found": {"cn_resident_id": 1, "email": 1},
                             "redacted": ["user.contact.email"]}


def test_payment_form_page_still_saves_redacted_remarks(account):  # noqa: F811
    client: Client = logged_in_client(account)
    assert put_profile(client, details()).status_code == 200
    page = client.post("/payments/profile/", {"notice_version": consent.policy_version(),
                                              "invoice_type": "personal",
                                              "remarks": f"mail {EMAIL}"})
    assert page.status_code in (200, 302), page.content[:300]
    assert vault.reveal(actor=SYSTEM, subject=account.subject, field="payments_remarks",
                        purpose="payment.invoicing") == "mail [REDACTED]"


def test_v_5_1a_other_contact_is_screened_before_the_vault(account):  # noqa: F811
    """An ID number typed into "other contact" is stored nowhere; the phone number the field is
    meant for stays, for the person's own edit and for a staff correction alike."""
    typed = f"微信 fox_88，电话 {MOBILE}，身份证{VALID_ID}"
    accounts.set_field(account=account, field="contact_other", value=typed)
    stored = vault.reveal(actor=SYSTEM, subject=account.subject, field="contact_other",
                          purpose="service.provision")
    assert stored == f"微信 fox_88，电话 {MOBILE}，身份证[REDACTED]"
    accounts.correct_field(actor=SYSTEM, account=account, field="contact_other",
                           value=f"QQ 10001, {VALID_ID}")
    assert tables_holding(VALID_ID) == []
    events = AuditEvent.objects.filter(action="discovery.screened").order_by("seq")
    assert [(e.detail["field"], e.detail["source"], e.detail["redacted"]) for e in events] == [
        ("contact_other", "accounts.set_field", ["user.id_info"]),
        ("contact_other", "accounts.correct_field", ["user.id_info"])]
