"""The person's side of sharing: the consent cards and "who has my data", on the page and in
the API (S-4.1.1a, S-4.1.1d, R-6.1)."""

import html
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from piwarden.accounts.models import Account
from piwarden.catalog.models import DataCategory
from piwarden.consent.decisions import decide
from piwarden.consent.models import ConsentEvent, ConsentState
from piwarden.consent.services import policy_version
from piwarden.sharing import labels, services
from piwarden.sharing.models import Disclosure, Flow

pytestmark = pytest.mark.django_db

PAGE = "/privacy/sharing/"
API = "/api/v1/sharing"
AFFILIATES = ("sharing.affiliates", "affiliate.intron_group")
PROCESSORS = ("sharing.processors", "partner.business")
AUTHORITY = ("sharing.legal_requests", "authority.competent")
AFFILIATE_NAME = "Intron Digital (Shenzhen) Co., Ltd."
PARTNER_NAME = "Example Service Partner Co., Ltd."
# Codes that must never reach the person's page.
CODES = ("separate.third_party", "affiliate.intron_group", "partner.business", "sharing.",
         "user.name", "user.contact", "user.account.id", "consent.separate", ">download<",
         "push", "independent_handler", "affiliate_handler", "processor<", "authority.")


# --- people and flows -------------------------------------------------------------------------

def sign_in(client, subject, lang="en"):
    user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}", password=None)
    account = Account.objects.create(user=user, subject=subject)
    client.force_login(user)
    client.cookies["django_language"] = lang
    client.account = account
    return client


@pytest.fixture
def affiliates(activate):
    return activate(*AFFILIATES)


def names(keys, lang):
    rows = {c.key: c for c in DataCategory.objects.filter(key__in=keys)}
    return [rows[k].name_zh if lang == "zh-hans" else rows[k].name_en for k in keys]


def card(content: str, flow: Flow) -> str:
    start = content.index(f'id="flow-{flow.pk}"')
    return content[start:content.index("</li>", start)]


def page_text(client) -> str:
    response = client.get(PAGE)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# --- the page ---------------------------------------------------------------------------------

def test_s_4_1_1a_consent_screen_names_the_recipient(client, affiliates, person):
    """The card shows the company's name, contact, purpose, method and categories, in English
    and in Chinese, with nothing granted and no internal code on the page."""
    me = sign_in(client, person)
    for lang, purpose, method, kind in (
            ("en", "Sharing with affiliates", labels.METHODS["download"]["en"],
             "Intron affiliates and subsidiaries"),
            ("zh-hans", "与关联方共享", labels.METHODS["download"]["zh-hans"],
             "英创关联公司和子公司")):
        me.cookies["django_language"] = lang
        content = page_text(me)
        shown = card(content, affiliates)
        for text in (AFFILIATE_NAME, kind, "privacy@affiliate.example.cn", purpose, method,
                     *names(affiliates.categories, lang)):
            assert text in shown, (lang, text)
        assert labels.STATES["not_asked"][lang] in shown
        assert 'value="grant"' in shown and 'value="withdraw"' not in shown
        assert 'type="checkbox"' not in shown  # a button per company: never pre-ticked
        for code in CODES:
            assert code not in content, (lang, code)
    assert "谁会收到您的个人信息" in content and "经您同意可接收您个人信息的公司" in content


def test_s_4_1_1a_granting_on_the_page_records_a_consent_for_that_recipient(
        client, affiliates, person, system_actor):
    """The grant is recorded for this recipient, with the notice exactly as the card showed
    it, and the gateway then provides this person's data."""
    me = sign_in(client, person)
    shown = card(page_text(me), affiliates)
    response = me.post(PAGE, {"flow": affiliates.pk, "choice": "grant",
                              "notice_version": policy_version()})
    assert response.status_code == 302 and response.url.endswith(f"#flow-{affiliates.pk}")
    state = ConsentState.objects.get(subject=person, recipient="affiliate.intron_group")
    assert (state.purpose, state.scope, state.choice) == (
        "sharing.affiliates", "separate.third_party", "grant")
    stored = state.event.notice.text
    assert stored == labels.offer(person, affiliates.pk, "en").notice.text
    for line in stored.splitlines():
        for part in line.split(": ", 1):
            assert part in shown, part
    assert state.event.channel == "web"
    assert decide(person.pk, "sharing.affiliates", affiliates.categories,
                  recipient="affiliate.intron_group").allowed
    provision, _ = services.provide(actor=system_actor, flow=affiliates,
                                    subject_ids=[person.pk])
    assert provision.provided == 1
    after = card(page_text(me), affiliates)
    assert labels.state_label("granted", state.changed_at, "en") in after
    assert 'value="withdraw"' in after and 'value="grant"' not in after


def test_s_4_1_1a_a_grant_in_chinese_records_the_chinese_notice(client, affiliates, person):
    me = sign_in(client, person, lang="zh-hans")
    me.post(PAGE, {"flow": affiliates.pk, "choice": "grant"})
    event = ConsentEvent.objects.get(subject=person, recipient="affiliate.intron_group")
    assert event.notice.text == labels.offer(person, affiliates.pk, "zh-hans").notice.text
    assert "英创关联公司和子公司" in event.notice.text and "提供方式" in event.notice.text


def test_s_4_1_1a_withdrawing_on_the_page_stops_the_next_provision(
        client, affiliates, person, system_actor):
    me = sign_in(client, person)
    me.post(PAGE, {"flow": affiliates.pk, "choice": "grant"})
    response = me.post(PAGE, {"flow": affiliates.pk, "choice": "withdraw"}, follow=True)
    assert "your data is not provided to " + AFFILIATE_NAME in html.unescape(
        response.content.decode())
    provision, _ = services.provide(actor=system_actor, flow=affiliates,
                                    subject_ids=[person.pk])
    assert provision.dropped == {"consent_withdrawn": 1}
    shown = card(page_text(me), affiliates)
    assert "Withdrawn on " in shown and 'value="grant"' in shown


def test_s_4_1_1a_only_offered_flows_one_at_a_time(client, activate, affiliates, person):
    """A flow that needs no consent, an unknown flow, withdrawing nothing and a notice version
    the person did not see are refused, and nothing is recorded."""
    processors = activate(*PROCESSORS)
    me = sign_in(client, person)
    for data, message in (
            ({"flow": processors.pk, "choice": "grant"}, "not among your choices"),
            ({"flow": 999999, "choice": "grant"}, "not among your choices"),
            ({"flow": affiliates.pk, "choice": "withdraw"}, "no consent to withdraw"),
            ({"flow": affiliates.pk, "choice": "grant", "notice_version": "1999-01"},
             "policy changed"),
            ({"flow": affiliates.pk, "choice": "grant-all"}, "")):
        response = me.post(PAGE, data, follow=True)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not ConsentEvent.objects.filter(subject=person).exists()
    assert f'id="flow-{processors.pk}"' not in page_text(me)


def test_s_4_1_1d_changed_details_ask_for_a_new_consent(
        client, affiliates, person, system_actor):
    """When the method or the categories of a granted flow change, the card says so and
    offers to grant again on the new details."""
    me = sign_in(client, person)
    me.post(PAGE, {"flow": affiliates.pk, "choice": "grant"})
    assert "changed since you agreed" not in page_text(me)
    services.configure_flow(actor=system_actor, flow=affiliates, categories=["user.name"])
    shown = card(page_text(me), affiliates)
    assert "changed since you agreed" in shown and 'value="grant"' in shown
    me.post(PAGE, {"flow": affiliates.pk, "choice": "grant"})
    assert "changed since you agreed" not in page_text(me)


def test_page_needs_an_account(client, affiliates):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.url
    assert client.post(PAGE, {"flow": affiliates.pk, "choice": "grant"}).status_code == 302
    assert not ConsentEvent.objects.exists()


def test_page_post_needs_the_csrf_token(affiliates, person):
    me = sign_in(Client(enforce_csrf_checks=True), person)
    assert me.post(PAGE, {"flow": affiliates.pk, "choice": "grant"}).status_code == 403


def test_choices_page_links_to_the_sharing_page(client, person):
    me = sign_in(client, person)
    assert f'href="{PAGE}"'.encode() in me.get("/privacy/choices/").content


@pytest.fixture
def provided(activate, affiliates, person_with, system_actor):
    """A person whose data went to an affiliate (with consent), a processor and, in
    confidence, an authority."""
    from piwarden.consent import services as consent
    from tests.authorities.helpers import approved_request

    person = person_with(name="王小明", email="wang@example.cn")
    consent.record(actor=system_actor, subject=person, purpose="sharing.affiliates",
                   choice="grant", scope="separate.third_party",
                   recipient="affiliate.intron_group", notice_text="For the test.",
                   channel="web")
    authority = activate(*AUTHORITY)
    request = approved_request(people=[person], confidential=True)
    for flow, confidential, context in (
            (affiliates, False, None), (activate(*PROCESSORS), False, None),
            (authority, True, {"authority_request": request.pk})):
        provision, _ = services.provide(actor=system_actor, flow=flow, subject_ids=[person.pk],
                                        confidential=confidential, context=context)
        assert provision.provided == 1
    assert Disclosure.objects.filter(subject=person, confidential=True).count() == 1
    return person


def test_r_6_1_who_has_my_data_lists_every_provision(client, provided, make_subject):
    """Both companies appear with contact, purpose, categories and the date in China time;
    the provision to an authority is withheld and counted, in both languages."""
    me = sign_in(client, provided)
    today = timezone.localtime(timezone.now(), labels.CHINA).strftime("%Y-%m-%d")
    content = page_text(me)
    received = content[content.index('id="received"'):]
    for text in (AFFILIATE_NAME, "privacy@affiliate.example.cn", "Sharing with affiliates",
                 PARTNER_NAME, "privacy@partner.example.cn",
                 "Entrusting processing to partners and service providers",
                 "Service provider that processes the data on our behalf", today,
                 *names(["user.name", "user.contact", "user.account.id"], "en")):
        assert text in received, text
    assert "1 provision to a public authority is not listed" in received
    assert "Competent authorities" not in content
    for code in CODES:
        assert code not in content, code
    me.cookies["django_language"] = "zh-hans"
    content = page_text(me)
    assert "另有 1 次向国家机关的提供未列出" in content and "主管机关" not in content
    assert "委托合作伙伴和服务提供商处理" in content and "谁收到过您的个人信息" in content
    other = sign_in(Client(), make_subject())
    content = page_text(other)
    assert AFFILIATE_NAME not in content[content.index('id="received"'):]
    assert "We have not" not in content and "Nobody has received" in content
    assert "not listed" not in content


# --- the API ----------------------------------------------------------------------------------

def test_r_6_1_api_lists_my_recipients_with_the_withheld_count(client, provided):
    me = sign_in(client, provided)
    body = me.get(f"{API}/me/recipients").json()
    assert body["withheld"] == 1
    by_key = {r["company"]["recipient"]: r for r in body["recipients"]}
    assert set(by_key) == {"affiliate.intron_group", "partner.business"}
    affiliate = by_key["affiliate.intron_group"]
    assert affiliate["company"]["name"] == AFFILIATE_NAME
    assert affiliate["company"]["contact"] == "privacy@affiliate.example.cn"
    entry = affiliate["provided"][0]
    assert entry["purpose_name"] == "Sharing with affiliates" and entry["times"] == 1
    assert entry["last_provided_at"].endswith("+08:00")
    zh = me.get(f"{API}/me/recipients", {"lang": "zh-hans"}).json()
    names_zh = {r["company"]["recipient"]: r["provided"][0]["purpose_name"]
                for r in zh["recipients"]}
    assert names_zh["affiliate.intron_group"] == "与关联方共享"


def test_s_4_1_1a_api_offers_and_records_a_consent(client, affiliates, person,
                                                   system_actor):
    me = sign_in(client, person)
    offers = me.get(f"{API}/me/offers", {"lang": "zh-hans"}).json()
    assert [o["flow"] for o in offers] == [affiliates.pk]
    offer = offers[0]
    assert offer["state"] == "not_asked" and offer["company"]["name"] == AFFILIATE_NAME
    assert offer["method_name"] == labels.METHODS["download"]["zh-hans"]
    response = me.post(f"{API}/me/consents", {
        "flow": affiliates.pk, "choice": "grant", "lang": "zh-hans",
        "notice_version": offer["notice"]["version"]}, content_type="application/json")
    assert response.status_code == 201, response.content
    event = ConsentEvent.objects.get(pk=response.json()["event"])
    assert (event.recipient, event.channel) == ("affiliate.intron_group", "api")
    assert event.notice.text == offer["notice"]["text"]
    assert me.get(f"{API}/me/offers").json()[0]["state"] == "granted"
    provision, _ = services.provide(actor=system_actor, flow=affiliates,
                                    subject_ids=[person.pk])
    assert provision.provided == 1
    withdrawn = me.post(f"{API}/me/consents", {"flow": affiliates.pk, "choice": "withdraw"},
                        content_type="application/json")
    assert withdrawn.status_code == 201
    assert me.get(f"{API}/me/offers").json()[0]["state"] == "withdrawn"


def test_api_never_reaches_another_persons_data(client, provided, affiliates,
                                                make_subject):
    """Another person, signed in or with their personal token, sees none of it and cannot
    change it: every answer is about the caller."""
    from piwarden.accounts.services import create_token

    other = sign_in(client, make_subject())
    _, token = create_token(account=other.account, name="test")
    for caller, extra in ((other, {}), (Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}"})):
        body = caller.get(f"{API}/me/recipients", **extra).json()
        assert body == {"recipients": [], "withheld": 0}
        offers = caller.get(f"{API}/me/offers", **extra).json()
        assert [o["state"] for o in offers] == ["not_asked"]
        refused = caller.post(f"{API}/me/consents", {"flow": affiliates.pk,
                                                     "choice": "withdraw"},
                              content_type="application/json", **extra)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "NOT_GRANTED")
    assert decide(provided.pk, "sharing.affiliates", recipient="affiliate.intron_group").allowed


def test_api_needs_a_person(client, affiliates):
    for response in (client.get(f"{API}/me/recipients"), client.get(f"{API}/me/offers"),
                     client.post(f"{API}/me/consents", {"flow": affiliates.pk,
                                                        "choice": "grant"},
                                 content_type="application/json"),
                     client.get(f"{API}/me/offers",
                                HTTP_AUTHORIZATION="Bearer pwa_000000000000_nope")):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"flow": 999999, "choice": "grant"}, 404, "UNKNOWN_OFFER"),
    ({"flow": "processors", "choice": "grant"}, 404, "UNKNOWN_OFFER"),
    ({"flow": "affiliates", "choice": "maybe"}, 422, "VALIDATION_ERROR"),
    ({"choice": "grant"}, 422, "VALIDATION_ERROR"),
    ({"flow": "affiliates", "choice": "withdraw"}, 409, "NOT_GRANTED"),
    ({"flow": "affiliates", "choice": "grant", "notice_version": "1999-01"}, 409,
     "NOTICE_OUTDATED"),
])
def test_api_refuses_bad_choices_with_a_code(client, activate, affiliates, person,
                                             body, status, code):
    flows = {"affiliates": affiliates.pk, "processors": activate(*PROCESSORS).pk}
    if body.get("flow") in flows:
        body = {**body, "flow": flows[body["flow"]]}
    me = sign_in(client, person)
    response = me.post(f"{API}/me/consents", body, content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not ConsentEvent.objects.filter(subject=person).exists()


def test_api_session_post_needs_the_csrf_token(affiliates, person):
    me = sign_in(Client(enforce_csrf_checks=True), person)
    response = me.post(f"{API}/me/consents", {"flow": affiliates.pk, "choice": "grant"},
                       content_type="application/json")
    assert response.status_code == 403
    assert not ConsentEvent.objects.filter(subject=person).exists()
