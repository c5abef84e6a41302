"""A partner's staff member: adds entries to ONE campaign while it runs, and can never list,
view or export any entry."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.campaigns import services
from piwarden.campaigns.models import CampaignEntry
from piwarden.consent import services as consent

from .factories import PASSWORD, campaign, entry, scan_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    mine, other = campaign(), campaign()
    access = services.grant_partner_access(actor=Actor.system("tests"), campaign=mine,
                                           username="acme-07", password=PASSWORD)
    client = Client()
    response = client.post("/campaigns/login/", {"username": "acme-07", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{mine.pk}/entries/new/"
    return client, mine, other, access


def form(**extra):
    return {"name": "周七", "title": "", "phone": "13300133000", "email": "",
            "occupation": "Dealer", "notice_version": consent.policy_version(),
            "scan": scan_file(), **extra}


def test_partner_adds_an_entry_to_their_campaign(setup):
    client, mine, _other, access = setup
    page = client.get(f"/campaigns/{mine.pk}/entries/new/")
    assert page.status_code == 200 and "Shenzhen expo" in page.content.decode()
    response = client.post(f"/campaigns/{mine.pk}/entries/new/", form(), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The entry was recorded." in html
    assert "周七" not in html and "133" not in html  # nothing of the entry is shown back
    saved = CampaignEntry.objects.get()
    assert (saved.campaign, saved.via, saved.recorded_by) == (mine, "partner", access.user)


def test_partner_form_refuses_an_outdated_notice(setup):
    client, mine, *_ = setup
    response = client.post(f"/campaigns/{mine.pk}/entries/new/",
                           form(notice_version="2019.1"))
    assert response.status_code == 409 and "NOTICE_OUTDATED" in response.content.decode()
    response = client.post(f"/campaigns/{mine.pk}/entries/new/", form(notice_version=""))
    assert response.status_code == 422
    assert not CampaignEntry.objects.exists()


def test_partner_cannot_use_another_campaign(setup):
    client, _mine, other, _ = setup
    assert client.get(f"/campaigns/{other.pk}/entries/new/").status_code == 403
    assert client.post(f"/campaigns/{other.pk}/entries/new/", form()).status_code == 403
    assert not CampaignEntry.objects.exists()


def test_partner_cannot_list_view_or_export_entries(setup):
    client, mine, *_ = setup
    recorded = entry(mine)
    for url in ("/admin/", "/admin/campaigns/campaignentry/",
                f"/admin/campaigns/campaignentry/{recorded.pk}/change/",
                f"/admin/campaigns/campaignentry/{recorded.pk}/scan/",
                "/admin/vault/vaultvalue/", "/admin/leads/lead/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    assert client.get("/campaigns/mine/").status_code == 302  # not an account holder
    assert client.get(f"/campaigns/mine/entry/{recorded.pk}/").status_code == 302
    for url in ("/api/v1/audit/events", "/api/v1/catalog/categories"):
        assert client.get(url).status_code in (401, 403, 404), url


def test_access_ends_with_the_campaign(setup):
    client, mine, *_ = setup
    mine.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    mine.starts_on = mine.ends_on - datetime.timedelta(days=2)
    services.save_campaign(actor=Actor.system("tests"), campaign=mine)
    assert client.get(f"/campaigns/{mine.pk}/entries/new/").status_code == 403
    assert client.post(f"/campaigns/{mine.pk}/entries/new/", form()).status_code == 403
    assert not CampaignEntry.objects.exists()
    # and a new sign-in is refused too
    response = Client().post("/campaigns/login/", {"username": "acme-07", "password": PASSWORD})
    assert response.status_code == 403


def test_revoked_access_is_refused(setup):
    client, mine, _other, access = setup
    services.revoke_access(actor=Actor.system("tests"), access=access)
    assert client.get(f"/campaigns/{mine.pk}/entries/new/").status_code == 403


def test_login_needs_a_campaign_access_and_is_rate_limited(settings):
    from django.contrib.auth import get_user_model
    get_user_model().objects.create_user("plain", password=PASSWORD)
    client = Client()
    assert client.post("/campaigns/login/", {"username": "plain", "password": PASSWORD}
                       ).status_code == 403
    for _ in range(9):
        client.post("/campaigns/login/", {"username": "x", "password": "y"})
    assert client.post("/campaigns/login/", {"username": "x", "password": "y"}
                       ).status_code == 429


def test_anonymous_is_sent_to_login():
    camp = campaign()
    response = Client().get(f"/campaigns/{camp.pk}/entries/new/")
    assert response.status_code == 302 and response["Location"].startswith("/campaigns/login/")
