"""An account holder claims the leads and campaign entries recorded with their verified phone
number or e-mail address, then views, corrects and deletes them; nobody else sees them."""

import pytest

from piwarden.audit.models import AuditEvent
from piwarden.campaigns.models import CampaignEntry
from piwarden.consent import services as consent
from piwarden.leads import services as leads
from piwarden.leads.models import Lead
from piwarden.vault import services as vault

from .factories import campaign, entry

pytestmark = pytest.mark.django_db


def _lead(phone="", email="", message="Call me"):
    return leads.submit(submission=leads.Submission(phone=phone, email=email, name="Wang",
                                                    message=message),
                        contact_ok=True, notice_version=consent.policy_version(),
                        channel="api")


@pytest.fixture
def records(account):
    lead = _lead(phone=account.test_phone)
    recorded = entry(campaign(), phone="", email=account.test_email.upper())
    stranger_lead = _lead(phone="+8613100131000")
    return lead, recorded, stranger_lead


def test_matching_records_are_listed_masked_and_claimed(account, client_for, records):
    lead, recorded, stranger_lead = records
    client = client_for(account)
    page = client.get("/campaigns/mine/").content.decode()
    assert str(lead.pk) in page and str(recorded.pk) in page
    assert str(stranger_lead.pk) not in page
    assert account.test_phone[3:] not in page and vault.masked(lead.subject, "phone") in page
    response = client.post("/campaigns/mine/", {"lead": [str(lead.pk), str(stranger_lead.pk)],
                                                "entry": [str(recorded.pk)]})
    assert response.status_code == 302
    lead.refresh_from_db(), recorded.refresh_from_db(), stranger_lead.refresh_from_db()
    assert lead.claimed_by == account.subject and recorded.claimed_by == account.subject
    assert stranger_lead.claimed_by is None  # ids sent in the form are re-checked
    assert AuditEvent.objects.filter(action="leads.claimed").count() == 1
    assert AuditEvent.objects.filter(action="campaigns.entry_claimed").count() == 1


def test_unverified_contacts_match_nothing(make_account, client_for):
    account = make_account(bind=False)
    lead = _lead(phone=account.test_phone)
    client = client_for(account)
    page = client.get("/campaigns/mine/").content.decode()
    assert str(lead.pk) not in page and "Nothing found" in page
    client.post("/campaigns/mine/", {"lead": [str(lead.pk)]})
    assert not Lead.objects.filter(claimed_by=account.subject).exists()


def _claim(client, lead, recorded):
    client.post("/campaigns/mine/", {"lead": [str(lead.pk)], "entry": [str(recorded.pk)]})


def test_owner_views_corrects_and_deletes(account, client_for, records):
    lead, recorded, _ = records
    client = client_for(account)
    _claim(client, lead, recorded)
    url = f"/campaigns/mine/entry/{recorded.pk}/"
    page = client.get(url)
    if page.status_code == 302:  # a fresh identity check first, as for revealing account data
        from tests.accounts.conftest import PASSWORD
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Automotive engineer" in html and "王芳" in html
    response = client.post(url, {"key": "occupation", "value": "Racing engineer"})
    assert response.status_code == 302
    assert "Racing engineer" in client.get(url).content.decode()
    bad = client.post(url, {"key": "phone", "value": "123"})
    assert bad.status_code == 422
    lead_url = f"/campaigns/mine/lead/{lead.pk}/"
    assert "Call me" in client.get(lead_url).content.decode()
    assert client.post(lead_url, {"key": "name", "value": "Wang Wei"}).status_code == 302
    assert vault.masked(lead.subject, "name") == "W*******"
    assert client.post(url, {"delete": "1"}).status_code == 302
    assert not CampaignEntry.objects.filter(pk=recorded.pk).exists()
    assert vault.masked(recorded.subject, "name") is None
    assert vault.masked(recorded.subject, "campaigns_scan_key") is None
    assert client.post(lead_url, {"delete": "1"}).status_code == 302
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert vault.masked(lead.subject, "phone") is None


def test_another_person_cannot_see_or_touch_them(account, make_account, client_for, records):
    lead, recorded, _ = records
    _claim(client_for(account), lead, recorded)
    other = client_for(make_account())
    page = other.get("/campaigns/mine/").content.decode()
    assert str(lead.pk) not in page and str(recorded.pk) not in page
    for kind, pk in (("lead", lead.pk), ("entry", recorded.pk)):
        url = f"/campaigns/mine/{kind}/{pk}/"
        response = other.get(url)
        if response.status_code == 302:
            from tests.accounts.conftest import PASSWORD
            other.post(response["Location"], {"password": PASSWORD})
            response = other.get(url)
        assert response.status_code == 404
        assert other.post(url, {"delete": "1"}).status_code == 404
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert CampaignEntry.objects.filter(pk=recorded.pk).exists()
    # unclaimed records of a stranger cannot be claimed by posting their ids either
    stranger = _lead(phone="+8613200132000")
    other.post("/campaigns/mine/", {"lead": [str(stranger.pk)]})
    stranger.refresh_from_db()
    assert stranger.claimed_by is None


def test_api_lists_and_claims_only_own_matches(account, make_account, client_for, records):
    lead, recorded, stranger_lead = records
    client = client_for(account)
    body = client.get("/api/v1/campaigns/me/records").json()
    assert {r["id"] for r in body["claimable"]} == {str(lead.pk), str(recorded.pk)}
    assert body["mine"] == []
    assert account.test_phone[3:] not in str(body)
    response = client.post("/api/v1/campaigns/me/claim",
                           {"leads": [str(lead.pk), str(stranger_lead.pk)],
                            "entries": [str(recorded.pk)]}, content_type="application/json")
    assert response.json() == {"claimed": 2}
    body = client.get("/api/v1/campaigns/me/records").json()
    assert body["claimable"] == [] and len(body["mine"]) == 2
    other = client_for(make_account()).get("/api/v1/campaigns/me/records").json()
    assert other == {"claimable": [], "mine": []}
    from django.test import Client
    assert Client().get("/api/v1/campaigns/me/records").status_code == 401
