"""The cookie banner in headless Chromium, against a real server and database."""

import pytest

from piwarden.consent.models import ConsentEvent, Visitor

GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"


@pytest.fixture
def page(browser, live_url):
    context = browser.new_context(base_url=live_url, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def cookie_names(page) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def banner(page):
    return page.get_by_role("dialog")


def ledger(page) -> dict[str, str]:
    """The ledger's latest choice per purpose for this browser's visitor id."""
    state = next(c for c in page.context.cookies() if c["name"] == "pw_consent")
    import json
    from urllib.parse import unquote

    visitor = Visitor.objects.get(visitor_id=json.loads(unquote(state["value"]))["v"])
    events = ConsentEvent.objects.filter(subject=visitor.subject).order_by("id")
    return {e.purpose: e.choice for e in events}


def test_a_visitor_who_ignores_the_banner_gets_nothing_optional(page):
    """Browsing is never consent (P-3): ten page views, and still only necessary cookies,
    no storage, no tag run and no consent record."""
    before = ConsentEvent.objects.count()
    for number in range(10):
        page.goto("/" if number % 2 == 0 else "/privacy/cookies/")
        page.get_by_role("button", name="Reject all").wait_for()
    assert banner(page).is_visible()
    boxes = [banner(page).get_by_role("button", name=name) for name in
             ("Accept all", "Reject all", "Customize")]
    assert all(box.is_visible() for box in boxes)
    sizes = {box.bounding_box()["height"] for box in boxes}
    assert len(sizes) == 1  # equal prominence
    assert cookie_names(page) <= {"csrftoken"}
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.evaluate("window.pwDemoAnalyticsRan") is None
    page.get_by_role("button", name="Customize").click()
    assert page.locator("#pw-preferences").is_checked() is False  # nothing pre-ticked
    assert page.locator("#pw-analytics").is_checked() is False
    assert ConsentEvent.objects.count() == before


def test_preferences_only_runs_no_analytics(page):
    page.goto("/")
    page.get_by_role("button", name="Customize").click()
    page.locator("#pw-preferences").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_function("() => localStorage.getItem('pw_recent') !== null")
    assert page.evaluate("window.pwDemoAnalyticsRan") is None
    assert "pw_analytics_id" not in cookie_names(page)


def test_every_cookie_and_storage_key_the_site_sets_is_in_the_inventory(page):
    """The inventory scan: with everything allowed, nothing undeclared is stored."""
    from piwarden.catalog.models import StorageItem

    page.goto("/")
    page.get_by_role("button", name="Customize").click()
    for category in ("preferences", "analytics", "advertising"):
        page.locator(f"#pw-{category}").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_function("() => window.pwDemoAdsRan && window.pwDemoAnalyticsRan")
    page.goto("/privacy/cookies/")
    declared = set(StorageItem.objects.filter(retired=False).values_list("kind", "name"))
    found = {("cookie", name) for name in cookie_names(page)}
    found |= {("local_storage", key) for key in page.evaluate("Object.keys(localStorage)")}
    found |= {("session_storage", key) for key in page.evaluate("Object.keys(sessionStorage)")}
    assert found and found <= declared, found - declared


def test_reject_keeps_analytics_inert_across_reloads(page):
    page.goto("/")
    page.get_by_role("button", name="Reject all").click()
    banner(page).wait_for(state="detached")
    assert page.evaluate("window.pwDemoAnalyticsRan") is None
    assert "pw_analytics_id" not in cookie_names(page)
    page.reload()
    page.wait_for_function("() => window.piwarden !== undefined")
    page.wait_for_timeout(300)
    assert banner(page).count() == 0
    assert page.evaluate("window.pwDemoAnalyticsRan") is None
    assert ledger(page) == {"cookies.preferences": "refuse", "cookies.analytics": "refuse",
                            "cookies.advertising": "refuse"}


def test_accept_all_runs_analytics_but_not_partner_ads(page):
    page.goto("/")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.pwDemoAnalyticsRan === true")
    assert "pw_analytics_id" in cookie_names(page)
    assert page.evaluate("window.pwDemoAdsRan") is None
    assert ledger(page) == {"cookies.preferences": "grant", "cookies.analytics": "grant"}
    page.reload()
    page.wait_for_function("() => window.pwDemoAnalyticsRan === true")
    assert banner(page).count() == 0
    assert page.locator("#demo-analytics").text_content() == "on"


def test_gpc_refuses_advertising_without_asking(browser, live_url):
    context = browser.new_context(base_url=live_url)
    context.add_init_script(GPC)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("button", name="Customize").click()
    advertising = page.locator("#pw-advertising")
    assert advertising.is_disabled() and not advertising.is_checked()
    assert page.get_by_text("Global Privacy Control").is_visible()
    page.locator("#pw-analytics").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_function("() => window.pwDemoAnalyticsRan === true")
    assert page.evaluate("window.pwDemoAdsRan") is None
    assert ledger(page)["cookies.advertising"] == "refuse"
    context.close()


def test_keyboard_only_customize_and_save(page):
    page.goto("/")
    page.get_by_role("button", name="Accept all").wait_for()
    assert page.evaluate("document.activeElement.textContent") == "Accept all"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Customize"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "pw-preferences"
    page.keyboard.press("Tab")  # the item list of preferences
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "pw-analytics"
    page.keyboard.press("Space")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Save my choices":
            break
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.pwDemoAnalyticsRan === true")
    assert ledger(page) == {"cookies.preferences": "refuse", "cookies.analytics": "grant",
                            "cookies.advertising": "refuse"}


def test_separate_advertising_consent_and_manage_cookies_clears_storage(page):
    page.goto("/")
    page.get_by_role("button", name="Customize").click()
    page.locator("#pw-advertising").check()
    page.locator("#pw-analytics").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_function("() => window.pwDemoAdsRan && window.pwDemoAnalyticsRan")
    advertising = ConsentEvent.objects.filter(purpose="cookies.advertising").latest("id")
    assert (advertising.choice, advertising.scope, advertising.bundled) == (
        "grant", "separate.third_party", False)
    assert {"adp_uid", "pw_analytics_id"} <= cookie_names(page)
    page.goto("/privacy/cookies/")
    page.get_by_role("button", name="Withdraw and clear non-essential cookies and storage"
                     ).click()
    page.get_by_text("your withdrawal is recorded").wait_for()
    assert not {"adp_uid", "pw_analytics_id"} & cookie_names(page)
    assert page.evaluate("localStorage.getItem('adp_profile')") is None
    assert "pw_consent" in cookie_names(page)
    assert set(ledger(page).values()) == {"withdraw"}  # K-3.3: the ledger shows the withdrawal


def test_banner_speaks_chinese_on_chinese_pages(browser, live_url):
    context = browser.new_context(base_url=live_url)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_url}])
    page = context.new_page()
    page.goto("/privacy/cookies/")
    page.get_by_role("button", name="全部拒绝").wait_for()
    assert page.get_by_role("button", name="全部接受").is_visible()
    context.close()


COUNT_GEOLOCATION = """
window.geolocationCalls = 0;
const original = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
navigator.geolocation.getCurrentPosition = function (...args) {
  window.geolocationCalls += 1;
  return original(...args);
};
"""


def test_geolocation_is_called_only_after_separate_consent(browser, live_url, system_actor):
    """Precise location is sensitive PI: separate consent first, then the browser API."""
    import uuid

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test import Client

    from piwarden.accounts.models import Account
    from piwarden.subjects.services import create_subject

    with transaction.atomic():
        subject = create_subject(actor=system_actor, kind="account_holder")
        user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}")
        Account.objects.create(user=user, subject=subject)
    session = Client()
    session.force_login(user)
    context = browser.new_context(base_url=live_url, geolocation={
        "latitude": 31.23, "longitude": 121.47}, permissions=["geolocation"])
    context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value,
                          "url": live_url}])
    context.add_init_script(COUNT_GEOLOCATION)
    try:
        _locate_after_consent(context.new_page(), subject)
    finally:
        context.close()


def _locate_after_consent(page, subject):
    page.goto("/")
    page.get_by_role("button", name="Reject all").click()
    page.get_by_role("button", name="Find nearby service points").click()
    prompt = page.get_by_role("dialog", name="Use your precise location?")
    prompt.wait_for()
    assert "separate consent to processing sensitive" in prompt.text_content()
    # The separate consent's own notice (issue 17 point 4), before the agree button.
    assert "How long we keep it: 30 days." in prompt.text_content()
    assert "If you refuse" in prompt.text_content()
    assert page.evaluate("window.geolocationCalls") == 0
    assert not ConsentEvent.objects.filter(subject=subject, purpose="location.service").exists()
    prompt.get_by_role("button", name="I agree to this separate consent").click()
    page.get_by_text("Location received").wait_for()
    assert page.evaluate("window.geolocationCalls") == 1
    event = ConsentEvent.objects.get(subject=subject, purpose="location.service")
    assert (event.scope, event.choice, event.bundled) == ("separate.sensitive", "grant", False)
    assert "How long we keep it: 30 days." in event.notice.text
