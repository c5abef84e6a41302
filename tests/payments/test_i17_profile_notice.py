"""Issue 17 point 4: the payment profile's separate consent shows its own notice (what, why,
for how long, the effect of refusing) before the tick, and the ledger records that notice."""

import pytest

from piwarden.consent.models import ConsentEvent
from piwarden.payments import services
from tests.accounts.conftest import logged_in_client

from .conftest import details, put_profile

pytestmark = pytest.mark.django_db


def test_i17_2_payment_profile_shows_its_separate_notice_before_the_tick(account):
    client = logged_in_client(account)
    page = client.get("/payments/profile/")
    if page.status_code == 302:
        page = client.get(page.url)
    html = page.content.decode()
    assert 'name="consent"' in html
    before = html[:html.index('name="consent"')]
    for words in ("Separate consent for sensitive personal information", "What we collect",
                  "Bank account number", "Payment and invoicing", "How long we keep it",
                  "If you refuse", "Payments and invoices"):
        assert words in before, words
    assert "I agree to this separate consent" in html
    assert put_profile(client, details()).status_code == 200
    event = ConsentEvent.objects.get(subject=account.subject, purpose="payment.invoicing")
    assert event.notice.text == services.profile_notice()
    assert "How long we keep it" in event.notice.text
