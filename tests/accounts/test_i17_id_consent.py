"""Issue 17 point 2: an ID given for a service is consented to, stored and audited under that
service's purpose (invoicing: ``payment.invoicing``), so staff who hold that purpose may reveal
it; ID consents filed under ``service.provision`` before stay readable."""

import datetime
import json

import pytest
from django.contrib.auth.models import User
from stdnum.cn import ric

from piwarden.accounts import conf, services
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.consent import services as consent
from piwarden.consent.decisions import decide
from piwarden.consent.models import ConsentEvent, ScheduledErasure
from piwarden.staffreads import services as staffreads
from piwarden.vault import services as vault
from tests.staffreads.helpers import give_role

pytestmark = pytest.mark.django_db
BASE = "/api/v1/account"


def _resident_id(born: datetime.date) -> str:
    body = f"110105{born:%Y%m%d}123"
    return body + ric.calc_check_digit(body + "0")


ID = _resident_id(datetime.date(1990, 3, 7))


def _put_invoicing_id(client):
    response = client.put(f"{BASE}/id", json.dumps({
        "service": "invoicing", "id_type": "prc_resident_id", "id_number": ID,
        "consent": True}), content_type="application/json")
    assert response.status_code == 200, response.content
    return response


def test_i17_2_an_id_for_invoices_is_filed_under_payment_invoicing(account, client_for):
    assert conf.service_purpose("invoicing") == "payment.invoicing"
    _put_invoicing_id(client_for(account))
    event = ConsentEvent.objects.get(subject=account.subject)
    assert (event.purpose, event.scope, event.choice) == (
        "payment.invoicing", "separate.sensitive", "grant")
    assert decide(account.subject_id, "payment.invoicing", ["user.id_info"]).allowed
    assert not decide(account.subject_id, "service.provision", ["user.id_info"]).allowed
    written = [e for e in AuditEvent.objects.filter(
        subject_id=account.subject_id,
        action__in=["vault.value_written", "account.profile_changed"])
        if "user.id_info" in e.categories]
    assert written and {e.purpose for e in written} == {"payment.invoicing"}
    # The person still sees their own ID.
    revealed = client_for(account).post(f"{BASE}/reveal", {"field": "id_info"},
                                        content_type="application/json").json()
    assert revealed["value"] == ID


def test_i17_2_staff_holding_payment_invoicing_may_reveal_that_id(account, client_for):
    _put_invoicing_id(client_for(account))
    user = User.objects.create_user("billing-clerk", password="a long staff password",
                                    is_staff=True)
    give_role(user, "support")  # holds payment.invoicing
    staffreads.check_read(user=user, purpose="payment.invoicing", categories=("user.id_info",),
                          label="vault.vaultvalue")
    value = vault.reveal(actor=Actor.staff(user), subject=account.subject, field="id_number",
                         purpose="payment.invoicing", reason="issue the fapiao")
    assert value == ID


def test_i17_2_an_id_consent_filed_under_service_provision_stays_readable(account):
    """Before issue 17 the invoicing ID's consent went to service.provision."""
    subject = account.subject
    consent.grant(actor=Actor.person(subject), subject=subject, purpose="service.provision",
                  scope="separate.sensitive", notice_text="ID for invoices", channel="web")
    vault.put(actor=Actor.person(subject), subject=subject, field="id_number", value=ID,
              purpose="service.provision")
    account.id_type = "prc_resident_id"
    account.save(update_fields=["id_type"])
    assert services.id_purpose(account) == "service.provision"
    assert services.reveal(account=account, field="id_info") == ID


def test_i17_2_withdrawing_the_invoicing_consent_schedules_the_id_for_erasure(account,
                                                                            client_for):
    """The contract purpose service.provision does not keep an ID whose separate consent
    is gone."""
    _put_invoicing_id(client_for(account))
    subject = account.subject
    consent.withdraw(actor=Actor.person(subject), subject=subject, purpose="payment.invoicing",
                     scope="separate.sensitive", notice_text="withdraw", channel="web")
    erasure = ScheduledErasure.objects.get(subject=subject, purpose="payment.invoicing")
    assert "user.id_info" in erasure.categories


def test_i17_2_the_id_page_shows_the_separate_notice_of_invoicing_before_the_tick(account):
    from tests.accounts.test_pages import page_client

    text = page_client(account).get("/account/id/?service=invoicing").content.decode()
    notice = text[:text.index('name="consent"')]
    for words in ("Separate consent for sensitive personal information", "Payment and invoicing",
                  "What we collect:", "ID information", "Invoices (fapiao)", "How long we keep it",
                  "If you refuse"):
        assert words in notice, words
    assert "I agree to this separate consent" in text
