"""Issue 17 (what people see), points 5 and 8 and "a designed look": the home page is the
site's privacy center, the header offers sign-in or log-out, sign-up links the policy, the
language picker names each language in its own name, and every page uses one stylesheet."""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.db import transaction
from django.test import Client
from django.urls import reverse

from .pagecheck import between, visible_text

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# A run of four or more Latin words in a Chinese page is an untranslated English sentence.
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'\u2019,-]*(?:\s+[A-Za-z][A-Za-z'\u2019,.-]*){3,}")


@pytest.fixture
def signed_in(system_actor):
    """A client signed in as a person with an account (no phone or e-mail needed here)."""
    from piwarden.accounts.models import Account
    from piwarden.subjects.services import create_subject

    with transaction.atomic():
        subject = create_subject(actor=system_actor, kind="account_holder")
        user = get_user_model().objects.create_user(username=f"u-{uuid.uuid4()}")
        Account.objects.create(user=user, subject=subject)
    client = Client()
    client.force_login(user)
    return client


def header_of(html: str) -> str:
    return between(html, '<header class="site-header">', "</header>")


def test_i17_8_home_page_is_a_privacy_center_not_a_developer_index(client):
    """The home page says what a person can do, links each part of the privacy center, and
    shows no release hash, no count of data subjects and no developer links."""
    from piwarden.catalog import selectors

    html = client.get("/", **EN).content.decode()
    text = visible_text(html)
    assert "Your privacy center" in text
    release = selectors.summary()["release"]
    assert release and release not in html
    assert "Data subjects known" not in text and "Release" not in text
    for developer in ('href="/api/v1/docs"', 'href="/api/v1/openapi.json"', 'href="/healthz"',
                      'href="/admin/"'):
        assert developer not in html
    main = between(html, "<main", "</main>")
    for name in ("accounts:home", "consent:choices", "consent:cookies", "rights:index",
                 "sharing:index", "payments:home", "publication:stories", "policy:current",
                 "rights:verify", "leads:contact"):
        assert f'href="{reverse(name)}"' in main, name
    # The location feature and the cookie-banner tags are still there, as site features.
    assert 'id="nearby"' in html and 'id="nearby-result"' in html
    assert 'type="text/plain" data-category="analytics"' in html
    assert "Find nearby service points" in text


def test_i17_8_developer_links_are_on_their_own_page(client):
    """API docs, OpenAPI, health, the console and the catalog figures moved to /developers/,
    linked from every page's footer."""
    from piwarden.catalog import selectors

    home = client.get("/").content.decode()
    footer = between(home, '<footer class="site-footer">', "</footer>")
    assert f'href="{reverse("developers")}"' in footer
    html = client.get(reverse("developers")).content.decode()
    for link in ('href="/admin/"', 'href="/api/v1/docs"', 'href="/api/v1/openapi.json"',
                 'href="/healthz"'):
        assert link in html
    assert selectors.summary()["release"] in html


@pytest.mark.parametrize("path", ["/", "/developers/"])
def test_i17_5_home_and_developer_pages_are_translated(client, path):
    """In Chinese, the home page (and the developer page) has no English sentence left."""
    html = client.get(path, **ZH).content.decode()
    assert '<html lang="zh-Hans"' in html
    text = visible_text(html)
    assert "隐私中心" in text
    assert ENGLISH_RUN.findall(text) == []


def test_i17_8_signed_out_header_offers_sign_in_and_sign_up(client):
    """Every signed-out page has "Sign in" and "Sign up" in its header (登录/注册 in Chinese)."""
    for path in ("/", reverse("consent:cookies"), reverse("policy:current")):
        header = header_of(client.get(path, **EN).content.decode())
        assert f'href="{reverse("accounts:login")}">Sign in</a>' in header, path
        assert f'href="{reverse("accounts:signup")}">Sign up</a>' in header, path
        assert "Log out" not in header
    header = header_of(client.get("/", **ZH).content.decode())
    assert ">登录</a>" in header and ">注册</a>" in header


def test_i17_5_signed_in_header_logs_out_with_退出登录(signed_in):
    """Signed in, the header has a log-out button that POSTs (with CSRF) to the log-out
    page; in Chinese it reads 退出登录, never 注销 (which means cancelling the account)."""
    html = signed_in.get("/", **ZH).content.decode()
    header = header_of(html)
    form = between(header, '<form method="post" action="/account/logout/"', "</form>")
    assert 'name="csrfmiddlewaretoken"' in form
    assert ">退出登录</button>" in form
    assert "注销" not in header
    assert ">登录</a>" not in header
    english = header_of(signed_in.get("/", **EN).content.decode())
    assert ">Log out</button>" in english
    assert signed_in.post("/account/logout/").status_code == 302


def test_i17_5_language_picker_names_each_language_in_its_own_name(client):
    """The picker shows "English" and "简体中文" whatever the page's language, not "英语"."""
    for headers in (EN, ZH):
        header = header_of(client.get("/", **headers).content.decode())
        picker = between(header, '<select id="language"', "</select>")
        options = re.findall(r"<option[^>]*>([^<]*)</option>", picker)
        assert options == ["English", "简体中文"]


def test_i17_8_sign_up_links_the_privacy_policy(client):
    """Sign-up says, before its button, that the account is handled under the privacy policy,
    with a link to it (《隐私政策》 in Chinese)."""
    policy = reverse("policy:current")
    html = client.get(reverse("accounts:signup"), **EN).content.decode()
    form = between(html, '<form method="post"', "</form>")
    link = form.index(f'<a href="{policy}"')
    assert link < form.index('type="submit"')
    assert "By creating an account you accept" in visible_text(form)
    zh = client.get(reverse("accounts:signup"), **ZH).content.decode()
    assert f'<a href="{policy}" rel="privacy-policy">《隐私政策》</a>' in zh
    # The log-in page is not a sign-up: no acceptance sentence there.
    assert "By creating an account" not in client.get(reverse("accounts:login")).content.decode()


def test_i17_3_sign_up_errors_are_words_not_codes(client):
    """A refused sign-up shows the problem in words; its code stays only in data-code."""
    for headers in (EN, ZH):
        response = client.post(reverse("accounts:signup"),
                               {"phone": "1", "email": "x@example.cn", "password": "p" * 12},
                               **headers)
        html = response.content.decode()
        assert response.status_code == 422
        assert 'data-code="PHONE_INVALID"' in html
        text = visible_text(html)
        assert "PHONE_INVALID" not in text and "<code>" not in between(html, "<main", "</main>")
    assert "请更正" in text or "请检查" in text


def test_i17_a11y_skip_link_lang_and_one_stylesheet(client, signed_in):
    """Every page starts with a "Skip to content" link to <main id="content">, declares its
    language, and links the one stylesheet (which exists as a static file)."""
    assert finders.find("piwarden/site.css")
    for who in (client, signed_in):
        for headers, lang, skip in ((EN, "en", "Skip to content"), (ZH, "zh-Hans", "跳到正文")):
            for path in ("/", reverse("consent:choices"), reverse("accounts:signup")):
                response = who.get(path, **headers)
                if response.status_code == 302:
                    continue
                html = response.content.decode()
                assert f'<html lang="{lang}"' in html
                assert f'<a class="skip-link" href="#content">{skip}</a>' in html
                assert '<main id="content"' in html
                assert 'href="/static/piwarden/site.css"' in html
    assert "waiting for your decision" not in signed_in.get("/").content.decode()


def test_i17_5_a_missing_page_is_a_privacy_center_page_in_the_persons_language(client):
    """An unknown address answers 404 with the site's frame, in the person's language."""
    response = client.get("/no-such-page/", **ZH)
    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in html and '<a class="skip-link"' in html
    assert client.get("/api/v1/no-such-thing").json()["error"]["code"] == "NOT_FOUND"
