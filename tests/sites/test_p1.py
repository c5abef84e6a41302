"""P-1: every site is bound to a policy version (the check fails CI otherwise), and every HTML
page of the project links the current policy and the cookie preference centre."""

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from piwarden.sites.models import Site

pytestmark = pytest.mark.django_db
# Not people's pages: the staff console, the API, machine endpoints.
SKIP = re.compile(r"^/(admin|api|static|media|healthz|status|metrics|i18n)(/|$)")


def test_p_1_a_domain_with_no_policy_binding_fails_the_check():
    Site.objects.update(policy_version=None)
    with pytest.raises(CommandError, match="problem"):
        call_command("sites", "check")


def test_p_1_a_site_without_a_handler_fails_the_check(published):
    Site.objects.update(policy_version=published, default_handler=False, handler=None)
    with pytest.raises(CommandError):
        call_command("sites", "check")


def test_p_1_the_check_passes_when_every_site_is_bound(published, capsys):
    Site.objects.update(policy_version=published)
    Site.objects.create(domain="shop.example.cn", name_en="Shop", name_zh="商城",
                        default_handler=True, policy_version=published)
    call_command("sites", "check")
    assert "Every site has a handler and a policy binding" in capsys.readouterr().out


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every URL without parameters in the project's urlconf."""
    out = []
    for item in resolver.url_patterns:
        route = str(item.pattern)
        if isinstance(item, URLResolver):
            out += _patterns(item, prefix + route)
        elif isinstance(item, URLPattern) and "<" not in route and "(?P" not in route:
            out.append("/" + (prefix + route).lstrip("^").rstrip("$").replace("\\", ""))
    return out


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))


def _crawl(client: Client, start: list[str]) -> dict[str, list[dict]]:
    """GET every page reachable from ``start`` on this host; the links of each HTML page."""
    seen, queue, pages = set(), list(start), {}
    while queue and len(seen) < 400:
        url = urldefrag(queue.pop(0))[0]
        if url in seen or SKIP.match(urlsplit(url).path):
            continue
        seen.add(url)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(response["Location"])
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue  # not a page: a refusal (405 for GET on a form's action, 404), a file
        parser = _Links()
        parser.feed(response.content.decode())
        pages[url] = parser.links
        for link in parser.links:
            href = link.get("href", "")
            parts = urlsplit(href)
            if href and not parts.scheme and not parts.netloc and parts.path.startswith("/"):
                queue.append(href)  # internal only: no external link is followed
    return pages


@pytest.mark.parametrize("who", ["anonymous", "signed_in"])
def test_p_1_every_html_page_links_the_current_policy_and_the_cookie_centre(
        who, published, request, client):
    visitor = request.getfixturevalue("signed_in") if who == "signed_in" else client
    policy, cookies = reverse("policy:current"), reverse("consent:cookies")
    pages = _crawl(visitor, _patterns(get_resolver()))
    assert len(pages) >= 10, sorted(pages)
    missing = [url for url, links in pages.items() if (
               not any(link.get("href") == policy for link in links)
               or not any(link.get("href") == cookies for link in links))]
    assert missing == [], f"{len(missing)} of {len(pages)} HTML pages lack the links"


def test_p_1_the_home_page_links_the_policy(published, client):
    html = client.get("/").content.decode()
    assert f'href="{reverse("policy:current")}"' in html
