"""D-1.1: notices and consent screens name the handler that actually provides the service."""

import pytest

from piwarden.catalog.models import Purpose, Recipient
from piwarden.consent import notices
from piwarden.sharing.models import Counterparty
from piwarden.sites import selectors, services
from tests.sites.conftest import offering

pytestmark = pytest.mark.django_db
AFFILIATE = "affiliate.intron_group"
NAME, CONTACT = "英创数据服务（上海）有限公司", "privacy@data.intron.example.cn"


@pytest.fixture
def affiliate_newsletter(system_actor):
    """Product "newsletter" served by affiliate Y (named in the registry)."""
    Recipient.objects.filter(key=AFFILIATE).update(legal_name=NAME, contact=CONTACT)
    services.bind_handler(actor=system_actor, target=offering("newsletter"),
                          counterparty=Counterparty.objects.get(recipient=AFFILIATE))


def test_d_1_1_an_affiliate_s_product_shows_its_name_and_contact_on_the_consent_screen(
        affiliate_newsletter, signed_in):
    page = signed_in.get("/privacy/choices/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index('id="marketing.email-general"'):]
    row = row[:row.index("</section>")]
    assert NAME in row and CONTACT in row
    default = selectors.default_handler()
    other = html[html.index('id="survey-general"'):]
    assert default.name_en in other[:other.index("</section>")]


def test_d_1_1_the_notice_text_names_the_actual_handler_in_both_languages(
        affiliate_newsletter):
    purpose = Purpose.objects.get(key="marketing.email")
    assert f"Provided by {NAME} (contact: {CONTACT})." in notices.purpose_text(
        purpose, "general", "2026.1", "en")
    assert f"本服务由{NAME}提供（联系方式：{CONTACT}）。" in notices.purpose_text(
        purpose, "general", "2026.1", "zh-hans")
    survey = notices.purpose_text(Purpose.objects.get(key="survey"), "general", "2026.1", "en")
    assert NAME not in survey and selectors.default_handler().name_en in survey


def test_a_purpose_of_no_service_is_provided_by_the_catalog_s_handler():
    handler = selectors.handler_for_purpose("account.registration")
    assert handler == selectors.default_handler() and handler.contact


def test_the_handler_follows_the_policy_s_chinese_name(published):
    assert selectors.default_handler().name_zh == "英创科技（中国）有限公司"
