"""Issue 17: consent where it belongs. Purposes that rest on the contract or a legal duty are
information, not consents; nothing counts purposes "waiting"; a separate consent shows its own
notice (what, why, for how long, the effect of refusing) before the person agrees, and the
ledger records that notice; marketing is offered per channel; codes are shown as words."""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model

from piwarden.accounts.models import Account
from piwarden.catalog import labels
from piwarden.catalog.models import Purpose
from piwarden.consent import notices, services
from piwarden.consent.decisions import decide
from piwarden.consent.models import ConsentEvent
from piwarden.consent.selectors import storage_items

pytestmark = pytest.mark.django_db
API = "/api/v1/consent"


@pytest.fixture
def signed_in(client, person):
    user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}", password=None)
    Account.objects.create(user=user, subject=person)
    client.force_login(user)
    return client


def _visible(html: str) -> str:
    """The text a person reads: tags (and their attributes) and scripts left out."""
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _card(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</section>", start)]


def test_i17_2_contract_and_legal_purposes_are_information_not_consents(signed_in):
    """"Creating and binding a user account" is listed under "What we process without
    asking", with its basis and retention in words, and has no Grant or Refuse button."""
    html = signed_in.get("/privacy/choices/").content.decode()
    assert 'id="account.registration-' not in html  # no consent card for it
    info = html[html.index('id="without-consent"'):html.index('id="history"')]
    assert "What we process without asking" in html
    card = info[info.index('data-code="account.registration"'):]
    card = card[:card.index("</section>")]
    assert "Creating and binding a user account" in card
    assert labels.basis("contract", lang="en") in card
    assert labels.basis("legal_obligation", lang="en") in info  # log.operation, security…
    assert 'value="grant"' not in info and 'value="refuse"' not in info
    for raw in ("account.registration", "legal_obligation", "separate.sensitive", "P30D"):
        assert raw not in _visible(html), raw


def test_i17_2_never_asked_reads_not_given_and_nothing_counts_waiting_purposes(signed_in):
    page = signed_in.get("/privacy/choices/").content.decode()
    assert "Not given" in _card(page, "marketing.email-general")
    assert "Not asked yet" not in page and "waiting for your decision" not in page
    assert 'value="refuse"' not in page  # not given is already "no"
    assert "waiting for your decision" not in signed_in.get("/account/").content.decode()
    signed_in.cookies["django_language"] = "zh-hans"
    zh = signed_in.get("/privacy/choices/").content.decode()
    assert "无需您同意的处理" in zh and "未同意" in zh


def test_i17_2_the_context_no_longer_counts_pending_purposes(rf, person):
    from piwarden.consent.context import privacy

    request = rf.get("/")
    request.user = get_user_model()(username="x")
    assert "consent_pending" not in privacy(request)


def test_i17_2_a_separate_consent_opens_its_own_notice_before_the_agree_button(signed_in,
                                                                             person):
    html = signed_in.get("/privacy/choices/").content.decode()
    card = _card(html, "location.service-separate.sensitive")
    details = card[card.index("<details"):card.index("</details>")]
    assert "Separate consent for sensitive personal information" in card
    for words in ("What we collect", "Precise location", "Why", "Location-based services",
                  "How long we keep it", "30 days", "If you refuse", "Nearby service points"):
        assert words in details, words
    assert "I agree to this separate consent" in details  # the button is inside the notice
    assert 'name="choice" value="grant"' not in card.replace(details, "")
    digest = re.search(r'name="notice" value="([0-9a-f]+)"', details).group(1)
    response = signed_in.post("/privacy/choices/", {
        "purpose": "location.service", "scope": "separate.sensitive", "choice": "grant",
        "notice": digest})
    assert response.status_code == 302
    assert decide(person.pk, "location.service", ["user.location.precise"]).allowed
    event = ConsentEvent.objects.get(subject=person, purpose="location.service")
    shown = notices.separate_notice(Purpose.objects.get(key="location.service"),
                                    "separate.sensitive", services.policy_version(), "en")
    assert event.notice.text == shown.text and "30 days" in event.notice.text
    assert "Withdraw" in _card(signed_in.get("/privacy/choices/").content.decode(),
                               "location.service-separate.sensitive")


@pytest.mark.parametrize("notice", [None, "", "0123456789abcdef"])
def test_i17_2_granting_location_without_seeing_the_notice_is_refused(signed_in, person,
                                                                      notice):
    """A POST without the notice version (or with another one) records nothing."""
    data = {"purpose": "location.service", "scope": "separate.sensitive", "choice": "grant"}
    if notice is not None:
        data["notice"] = notice
    response = signed_in.post("/privacy/choices/", data, follow=True)
    assert "only after reading its own notice" in response.content.decode()
    assert not ConsentEvent.objects.filter(subject=person).exists()
    assert not decide(person.pk, "location.service", ["user.location.precise"]).allowed


def test_i17_2_locate_grants_location_through_the_api_only_with_the_notice(signed_in,
                                                                           person):
    """What ``piwarden.locate()`` does: read the row (its notice and digest), show the
    notice, then grant with the digest."""
    rows = {(r["purpose"], r["scope"]): r for r in signed_in.get(f"{API}/me/purposes").json()}
    row = rows[("location.service", "separate.sensitive")]
    assert "How long we keep it: 30 days." in row["notice"]
    body = {"purpose": "location.service", "scope": "separate.sensitive", "choice": "grant"}
    refused = signed_in.post(f"{API}/me/purposes", body, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "NOTICE_NOT_ACKNOWLEDGED"
    assert not ConsentEvent.objects.filter(subject=person).exists()
    granted = signed_in.post(f"{API}/me/purposes", {**body, "notice_digest": row["notice_digest"]},
                             content_type="application/json")
    assert granted.status_code == 201
    assert ConsentEvent.objects.get(subject=person).notice.text == row["notice"]


def test_a_general_consent_still_takes_one_click(signed_in, person):
    signed_in.post("/privacy/choices/", {"purpose": "survey", "choice": "grant"})
    assert decide(person.pk, "survey").allowed


def test_i17_2_marketing_is_offered_per_channel_each_with_its_own_notice(signed_in, person):
    html = signed_in.get("/privacy/choices/").content.decode()
    section = html[html.index('id="marketing"'):html.index('id="without-consent"')]
    for key, name in (("marketing.email", "by e-mail"), ("marketing.phone", "by phone"),
                      ("marketing.sms", "by SMS")):
        card = _card(section, f"{key}-general")
        assert name in card and "What this consent covers" in card
        assert 'name="choice" value="grant"' in card
    signed_in.post("/privacy/choices/", {"purpose": "marketing.sms", "choice": "grant"})
    assert decide(person.pk, "marketing.sms").allowed
    assert not decide(person.pk, "marketing.email").allowed


def test_i17_6_choice_history_shows_words_in_both_languages(signed_in, person):
    signed_in.post("/privacy/choices/", {"purpose": "survey", "choice": "grant"})
    html = signed_in.get("/privacy/choices/").content.decode()
    history = _visible(html[html.index('id="history"'):])
    assert "Voluntary surveys" in history and "Privacy-center page" in history
    assert "survey " not in history.replace("surveys", "")
    signed_in.cookies["django_language"] = "zh-hans"
    zh = _visible(signed_in.get("/privacy/choices/").content.decode())
    zh_history = zh[zh.index("您的选择记录") if "您的选择记录" in zh else 0:]
    assert "自愿参与的问卷调查" in zh_history


def test_i17_6_cookies_page_shows_lifetimes_types_and_text_sizes_in_words(client):
    html = client.get("/privacy/cookies/").content.decode()
    text = _visible(html)
    for raw in ("P14D", "P1Y", "P180D", "local_storage", "larger"):
        assert raw not in text, raw  # (data-code attributes keep the codes)
    assert "14 days" in text and "1 year" in text and "Local storage" in text
    assert "Larger" in text
    client.cookies["django_language"] = "zh-hans"
    zh = _visible(client.get("/privacy/cookies/").content.decode())
    assert "14 天" in zh or "14天" in zh
    assert "本地存储" in zh


def test_i17_6_the_banner_lists_storage_items_in_words(client):
    """The banner's item list (and the notice it records) reads "Local storage, 1 year", not
    ``local_storage, P1Y``."""
    for lang, kind, lifetime, partner in (("en", "Local storage", "1 year", "Advertising partner"),
                                          ("zh-hans", "本地存储", "1 年", "广告合作伙伴")):
        config = client.get(f"{API}/banner/config?lang={lang}").json()
        items = {i["name"]: i for c in config["categories"] for i in c["items"]}
        assert (items["pw_recent"]["kind_label"], items["pw_recent"]["lifetime_label"]) == (
            kind, lifetime)
        assert items["adp_uid"]["set_by"] == partner
        text = notices.banner_text("preferences", storage_items()["preferences"], "2026.1", lang)
        assert "P1Y" not in text and "local_storage" not in text and lifetime in text


@pytest.mark.parametrize("purpose", ["location.service", "payment.invoicing"])
def test_i17_2_a_separate_notice_names_every_category_its_grant_covers(db, purpose):
    """Where the separate consent is the purpose's own, its grant lets the purpose use every
    category it declares: the notice the person reads names each of them."""
    from piwarden.consent.decisions import rules

    shown = notices.separate_notice(Purpose.objects.get(key=purpose), "separate.sensitive",
                                    services.policy_version(), "en")
    covered = {k for k in rules().purposes[purpose].declared
               if not k.startswith("user.credentials")}
    named = {k for k in covered if labels.category(k, lang="en") in shown.what}
    leaves = {k for k in covered if not any(o != k and o.startswith(k + ".") for o in covered)}
    assert leaves - named == set()
