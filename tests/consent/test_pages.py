import uuid

import pytest
from django.contrib.auth import get_user_model

from piwarden.accounts.models import Account
from piwarden.consent import links
from piwarden.consent.decisions import decide
from piwarden.consent.models import ConsentEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, person):
    user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}", password=None)
    Account.objects.create(user=user, subject=person)
    client.force_login(user)
    return client


def test_choices_page_grants_and_withdraws_in_one_click(signed_in, person):
    page = signed_in.get("/privacy/choices/")
    assert page.status_code == 200
    assert b"Product recommendations by e-mail" in page.content
    assert b"waiting for your decision" in page.content  # nothing is decided for the person
    signed_in.post("/privacy/choices/", {"purpose": "marketing.email", "choice": "grant"})
    assert decide(person.pk, "marketing.email").allowed
    response = signed_in.post("/privacy/choices/", {"purpose": "marketing.email",
                                                    "choice": "withdraw"})
    assert response.status_code == 302
    assert decide(person.pk, "marketing.email").reason == "consent_withdrawn"
    event = ConsentEvent.objects.filter(subject=person).latest("id")
    assert event.channel == "web" and "withdraw" in event.notice.text.lower()


def test_withdrawal_is_two_clicks_from_the_account_page(signed_in, person):
    """Click 1: the account page's link; click 2: the purpose's withdraw button."""
    signed_in.post("/privacy/choices/", {"purpose": "survey", "choice": "grant"})
    account_page = signed_in.get("/account/")
    assert b'href="/privacy/choices/"' in account_page.content
    choices = signed_in.get("/privacy/choices/").content.decode()
    survey_row = choices[choices.index('id="survey-general"'):]
    assert 'value="withdraw"' in survey_row[:survey_row.index("</tr>")]


def test_choices_page_needs_sign_in_and_speaks_chinese(client, signed_in):
    from django.test import Client

    assert Client().get("/privacy/choices/").status_code == 302
    signed_in.cookies["django_language"] = "zh-hans"
    page = signed_in.get("/privacy/choices/")
    assert "隐私选择".encode() in page.content
    assert "通过电子邮件推荐产品".encode() in page.content


def test_bad_choice_is_refused_with_a_message(signed_in, person):
    response = signed_in.post("/privacy/choices/", {"purpose": "security", "choice": "grant"},
                              follow=True)
    assert b"takes no consent" in response.content
    assert not ConsentEvent.objects.filter(subject=person).exists()


def test_unsubscribe_link_withdraws_on_post_only(client, person):
    from piwarden.audit.actors import Actor
    from piwarden.consent import services

    services.grant(actor=Actor.person(person), subject=person, purpose="marketing.email",
                   notice_text="news", channel="web")
    path = links.unsubscribe_path(person.pk, "marketing.email")
    assert client.get(path).status_code == 200
    assert decide(person.pk, "marketing.email").allowed  # a link scanner's GET changes nothing
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert decide(person.pk, "marketing.email").reason == "consent_withdrawn"
    assert ConsentEvent.objects.filter(subject=person).latest("id").channel == "link"


def test_forged_unsubscribe_link_is_refused(client, person):
    path = links.unsubscribe_path(person.pk, "marketing.email")
    assert client.post(path[:-3] + "xx/").status_code == 404


def test_cookies_page_lists_inventory_and_saves_text_size(client):
    page = client.get("/privacy/cookies/")
    assert b"adp_uid" in page.content and b"Advertising partner" in page.content
    response = client.post("/privacy/cookies/", {"font_size": "large"})
    assert response.cookies["pw_prefs"].value == "font=large"
    assert b"font-size: 112.5%" in client.get("/privacy/cookies/").content


def test_signing_in_carries_the_browsers_cookie_choices_to_the_account(client, system_actor):
    """A visitor accepts analytics in the banner, then signs in: the account has the grant."""
    import json
    from urllib.parse import quote

    from django.db import transaction

    from piwarden.accounts import services as accounts
    from piwarden.consent import services

    visitor_id = uuid.uuid4()
    with transaction.atomic():
        visitor = services.visitor_subject(actor=system_actor, visitor_id=visitor_id)
        services.record_banner_choice(actor=system_actor, subject=visitor,
                                      action="accept_all", choices={}, gpc=False, lang="en")
    account = accounts.sign_up(phone="13912345678", email="carry@example.com",
                               password="a long unusual passphrase 42")
    assert not decide(account.subject.pk, "cookies.analytics").allowed
    client.cookies["pw_consent"] = quote(json.dumps({"v": str(visitor_id), "c": {}}))
    response = client.post("/account/login/", {"identifier": "carry@example.com",
                                                "password": "a long unusual passphrase 42"})
    assert response.status_code == 302
    assert decide(account.subject.pk, "cookies.analytics").allowed
