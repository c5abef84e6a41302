"""Issue 17, "Accessible" and "a designed look", in headless Chromium against a live server:
the privacy center works at phone width (375 px) without the page scrolling sideways, and
the keyboard reaches a visible "Skip to content" link first."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client

PUBLIC = ["/", "/developers/", "/account/signup/", "/account/login/", "/privacy/choices/",
          "/privacy/cookies/", "/privacy/versions/", "/privacy/requests/verify/", "/contact/",
          "/sites/", "/stories/"]
SIGNED_IN = ["/", "/account/", "/account/security/", "/account/services/", "/privacy/choices/",
             "/privacy/requests/", "/privacy/requests/new/?type=deletion",
             "/privacy/requests/new/?type=correction", "/privacy/sharing/", "/payments/",
             "/privacy/cookies/"]


def _context(browser, live_url, lang, width, session=None):
    context = browser.new_context(base_url=live_url, viewport={"width": width, "height": 800},
                                  locale="zh-CN" if lang == "zh-hans" else "en-US")
    cookies = [{"name": "django_language", "value": lang, "url": live_url}]
    if session:
        cookies.append({"name": "sessionid", "value": session, "url": live_url})
    context.add_cookies(cookies)
    return context


@pytest.fixture
def session(system_actor, committed_db):
    """A signed-in person's session cookie (committed, so the live server sees it)."""
    from piwarden.accounts.models import Account
    from piwarden.subjects.services import create_subject

    with transaction.atomic():
        subject = create_subject(actor=system_actor, kind="account_holder")
        user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}")
        Account.objects.create(user=user, subject=subject)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _too_wide(context, paths) -> dict[str, int]:
    page = context.new_page()
    wide = {}
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            wide[path] = width
    return wide


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_i17_a11y_phone_width_has_no_sideways_page_scroll(browser, live_url, session, lang):
    """At 375 px, signed out and signed in, in English and Chinese, no page of the privacy
    center is wider than the screen (wide tables scroll inside their own box)."""
    wide = {}
    for who, paths in ((None, PUBLIC), (session, SIGNED_IN)):
        context = _context(browser, live_url, lang, 375, who)
        try:
            wide.update({f"{path} ({'signed in' if who else 'signed out'})": width
                         for path, width in _too_wide(context, paths).items()})
        finally:
            context.close()
    assert wide == {}


@pytest.mark.parametrize("lang, skip", [("en", "Skip to content"), ("zh-hans", "跳到正文")])
def test_i17_a11y_keyboard_reaches_a_visible_skip_link_first(browser, live_url, committed_db,
                                                            lang, skip):
    """Once the cookie banner is answered, the first Tab lands on the skip link, which
    becomes visible with a focus ring; Enter moves the focus to the page's main content."""
    context = _context(browser, live_url, lang, 1280)
    try:
        page = context.new_page()
        page.goto("/privacy/cookies/")
        page.get_by_role("dialog").get_by_role("button").first.wait_for()
        page.get_by_role("dialog").get_by_role("button", name={"en": "Reject all"}.get(
            lang, "全部拒绝")).click()
        page.wait_for_function("() => document.cookie.includes('pw_consent=')")
        page.reload()
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement,
            r = e.getBoundingClientRect(), s = getComputedStyle(e);
            return {text: e.textContent.trim(), top: r.top, bottom: r.bottom,
                    outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }""")
        assert focused["text"] == skip
        assert focused["top"] >= 0 and focused["bottom"] > focused["top"]  # on screen
        assert focused["outline"] != "none" and focused["width"] >= 2
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content"
    finally:
        context.close()
