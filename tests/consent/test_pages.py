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
    # Nothing is decided for the person: "Not given", and no count of waiting purposes.
    assert b"Not given" in page.content and b"waiting for your decision" not in page.content
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
    assert 'value="withdraw"' in survey_row[:survey_row.index("</section>")]


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
    assert b"That choice is not available." in response.content
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


def _banner_choice(client, **body):
    from piwarden.consent import selectors, services

    return client.post("/api/v1/consent/banner/choices", {
        "visitor_id": str(uuid.uuid4()), "policy_version": services.policy_version(),
        "inventory": selectors.inventory_hash(), "action": "accept_all", **body},
        content_type="application/json")


def test_signing_in_carries_the_browsers_cookie_choices_to_the_account(client):
    """A visitor accepts analytics and separately allows partner ads, then signs in: the
    account gets the analytics grant, but separate consent is asked again, not carried."""
    from piwarden.accounts import services as accounts

    assert _banner_choice(client, action="custom", choices={
        "analytics": True, "advertising": True}).status_code == 201
    account = accounts.sign_up(phone="13912345678", email="carry@example.com",
                               password="a long unusual passphrase 42")
    assert not decide(account.subject.pk, "cookies.analytics").allowed
    response = client.post("/account/login/", {"identifier": "carry@example.com",
                                                "password": "a long unusual passphrase 42"})
    assert response.status_code == 302
    assert decide(account.subject.pk, "cookies.analytics").allowed
    assert not decide(account.subject.pk, "cookies.advertising").allowed


def test_another_browser_cannot_speak_for_a_visitor(client):
    """The visitor id in the readable pw_consent cookie is not enough to change its choices."""
    from django.test import Client

    from piwarden.consent.models import Visitor

    first = _banner_choice(client)
    visitor = Visitor.objects.get()
    assert first.cookies["pw_visitor"]["httponly"]
    stolen = _banner_choice(Client(), visitor_id=str(visitor.visitor_id), action="custom",
                            choices={"advertising": True})
    assert (stolen.status_code, stolen.json()["error"]["code"]) == (403, "VISITOR_NOT_PROVEN")
    again = _banner_choice(client, action="reject_all")  # the same browser may change its mind
    assert again.status_code == 201
    assert Visitor.objects.count() == 1


def test_a_signed_in_banner_choice_needs_the_csrf_token(signed_in, person):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in.cookies
    response = _banner_choice(strict)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "CSRF_FAILED")
    assert not ConsentEvent.objects.filter(subject=person).exists()
    assert _banner_choice(signed_in).status_code == 201
    assert decide(person.pk, "cookies.analytics").allowed


def test_bad_scope_and_retired_purpose_links_get_clear_answers(signed_in, person):
    response = signed_in.post("/privacy/choices/", {"purpose": "survey", "scope": "nope",
                                                    "choice": "grant"}, follow=True)
    assert b"That choice is not available." in response.content
    from piwarden.catalog.models import Purpose

    path = links.unsubscribe_path(person.pk, "marketing.sms")
    Purpose.objects.filter(key="marketing.sms").update(retired=True)
    assert signed_in.post(path).status_code == 404


def test_a_new_consent_purpose_is_listed_and_denied_until_granted(signed_in, person, settings,
                                                                   tmp_path, system_actor):
    """§2.5: a new purpose needs consent; until then it is not processed. It is offered on
    the choices page, "Not given", without a count of purposes waiting (issue 17 point 2)."""
    from piwarden.caches import freshness
    from piwarden.catalog import selectors as catalog
    from piwarden.catalog.services import load_catalog

    text = settings.PIWARDEN_CATALOG_FILE.read_text(encoding="utf-8").replace(
        "\npurposes:\n", "\npurposes:\n  - key: marketing.wechat\n"
        "    name: {en: Product news on WeChat, zh-hans: 微信产品资讯}\n"
        "    legal_basis: consent\n    consent: consent\n", 1)
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_catalog(actor=system_actor, path=path)
        assert decide(person.pk, "marketing.wechat").reason == "consent_missing"
        assert "waiting for your decision" not in signed_in.get("/account/").content.decode()
        choices = signed_in.get("/privacy/choices/").content.decode()
        row = choices[choices.index('id="marketing.wechat-general"'):]
        assert "Product news on WeChat" in row and "Not given" in row[:row.index("</section>")]
        signed_in.post("/privacy/choices/", {"purpose": "marketing.wechat", "choice": "grant"})
        assert decide(person.pk, "marketing.wechat").allowed
    finally:  # the load is rolled back with the test: forget what was cached from it
        catalog.clear_cache()
        freshness.touch(freshness.CATALOG)
