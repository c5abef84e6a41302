"""Issue 17, point 3: no page a person or a visitor sees shows an internal code.

One person with data everywhere (verified phone and e-mail, name, address, payment and ID
details, consents granted and withdrawn, a rights request of each type, a ready export, a
deletion certificate, a call-back request, a campaign entry, a story, provisions to recipients,
a cancellation in its cooling-off) opens every privacy-center page, found by walking the URL
resolver (so a new page is checked without touching this file), in English and in Chinese; a
visitor opens them signed out. The visible text (tags, scripts, styles and attribute values
stripped) must hold no dotted catalog key, snake_case or UPPER_SNAKE identifier, ISO-8601
duration, raw JSON, Python value or raw timestamp; the Chinese pages no English sentence.
Every offending page and string is reported at once.
"""

import json
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from piwarden.audit.actors import Actor
from piwarden.catalog import labels
from piwarden.discovery import scan

pytestmark = pytest.mark.django_db

LANGS = ("en", "zh-hans")

# URL names never checked here, each with its reason.
NOT_PAGES = {
    "healthz": "JSON for load balancers",
    "status": "JSON for monitors",
    "metrics": "Prometheus text for an API key",
    "developers": "the developer index (API scopes and paths are its content)",
    "set_language": "a POST endpoint of Django",
    "avatar_image": "an image",
    "mine_image": "an image",
    "story_image": "an image",
}

# A sample of each URL parameter, by URL name: a list of kwargs (the person's own objects),
# computed from the fixture. A URL with parameters that is not listed here fails the test.
SAMPLES = {
    "accounts:reveal": lambda d: [{"field": f} for f in ("phone", "email", "name", "address")],
    "accounts:edit": lambda d: [{"field": f} for f in ("name", "user_name", "contact_other")],
    "accounts:contact": lambda d: [{"channel": c} for c in ("phone", "email")],
    "accounts:guardian": lambda d: [{"token": "no-such-token"}],
    "rights:detail": lambda d: [{"request_id": r.pk} for r in d["requests"]],
    "rights:withdraw": lambda d: [{"request_id": r.pk} for r in d["requests"][:1]],
    "subjectdata:export": lambda d: [{"archive_id": a} for a in d["archives"]],
    "subjectdata:certificate": lambda d: [{"run_id": r} for r in d["runs"]],
    "subjectdata:certificate_link": lambda d: [{"token": t} for t in d["certificate_tokens"]]
    + [{"token": "no-such-token"}],
    "notify:acknowledge": lambda d: [],  # POST only
    "policy:version": lambda d: [{"version": v} for v in d["versions"]],
    "policy:diff": lambda d: [{"version": v} for v in d["versions"]],
    "consent:unsubscribe": lambda d: [{"token": t} for t in d["unsubscribe_tokens"]]
    or [{"token": "no-such-token"}],
    "publication:mine_item": lambda d: [{"item_id": i} for i in d["items"]],
    "publication:story": lambda d: [{"item_id": i} for i in d["items"]],
    "campaigns:new_entry": lambda d: [{"campaign_id": d["campaign"].pk}],
    "campaigns:record": lambda d: [{"kind": "lead", "record_id": r} for r in d["leads"]]
    + [{"kind": "entry", "record_id": r} for r in d["entries"]],
    "payments:cancel_order": lambda d: [],  # POST only
}

# Pages whose content depends on a query: each variant is checked too.
EXTRA = ["/privacy/requests/new/?type=" + t for t in (
    "access", "portability", "correction", "deletion", "withdrawal", "explanation",
    "complaint")]

# Text that looks like a code but is not one, each with its reason. Removed before the checks.
ALLOWED = [
    (r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", "e-mail addresses (the person's own, the handler's)"),
    (r"https?://\S+", "URLs written out for people to copy"),
    (r"(?<![\w.])/[\w/.-]+", "paths written out for people to copy"),
    (r"\b[\w-]+(?:\.[\w-]+)*\.(?:com|cn|org|net|io|hk|example|test|local)\b", "domain names"),
    (r"\b[\w-]+\.(?:html|json|csv|pdf|zip|js|png|jpe?g|txt|yaml)\b", "file names"),
    (r"\bpwa_\w+_…", "the visible prefix of the person's own access token"),
]

CODE_PATTERNS = {
    "dotted key": re.compile(r"\b[a-z][a-z0-9_]+(?:\.[a-z][a-z0-9_]+)+\b"),
    "snake_case": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "UPPER_SNAKE": re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"),
    "ISO-8601 duration": re.compile(r"\bP(?:\d+[YMWD])+(?:T(?:\d+[HMS])+)?\b|\bPT(?:\d+[HMS])+\b"),
    "raw JSON": re.compile(r"[{\[]\s*\"[^\"]*\"\s*[:,\]]"),
    "Python value": re.compile(r"(?<![\w-])(?:None|True|False)(?![\w-])"),
    "raw timestamp": re.compile(
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?|\+00:00|\bUTC\b"),
}
ENGLISH_RUN = re.compile(
    r"[A-Za-z][A-Za-z'\u2019-]*(?:[ \t]+(?:[A-Za-z][A-Za-z'\u2019-]*|\d+)){3,}")


class _Text(HTMLParser):
    """The text a person reads: no tags, attributes, scripts or styles. Text inside an element
    marked ``lang="en"`` (content the person is shown in both languages on purpose, such as a
    story's English version) is kept apart: it is checked for codes, not for English."""

    SKIP = {"script", "style", "template", "noscript", "svg"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.english, self._stack = [], [], []

    def _inside(self, test) -> bool:
        return any(test(tag, lang) for tag, lang in self._stack)

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            lang = (dict(attrs).get("lang") or "").lower()
            self._stack.append((tag, lang))
        self._out().append("\n")

    def handle_endtag(self, tag):
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                break
        self._out().append("\n")

    def _out(self) -> list:
        return self.english if self._english() else self.parts

    def _english(self) -> bool:
        for _tag, lang in reversed(self._stack):
            if lang:
                return lang.startswith("en")
        return False

    def handle_data(self, data):
        if not self._inside(lambda tag, _lang: tag in self.SKIP):
            self._out().append(data)


def visible_text(html: str) -> str:
    return "".join(_parsed(html).parts)


def _parsed(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def offences(text: str, lang: str, allowed_words: list[str]) -> list[str]:
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        clean = line
        for pattern, _reason in ALLOWED:
            clean = re.sub(pattern, " ", clean)
        for word in allowed_words:
            clean = clean.replace(word, " ")
        for name, pattern in CODE_PATTERNS.items():
            for match in pattern.finditer(clean):
                found.append(f"{name} {match.group(0)!r} in {line[:140]!r}")
        if lang == "zh-hans":
            for match in ENGLISH_RUN.finditer(clean):
                found.append(f"English {match.group(0)!r} in {line[:140]!r}")
    return found


def page_urls(data) -> tuple[list[str], list[str]]:
    """Every non-admin, non-API page, with its parameters filled from the person's objects;
    and the URL names with parameters that have no sample (a new page to add to SAMPLES)."""
    urls, missing = [], []

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                prefix = str(p.pattern)
                if prefix.startswith(("admin/", "api/")):
                    continue
                ns = p.namespace or ""
                yield from walk(p.url_patterns, f"{namespace}{ns}:" if ns else namespace)
            elif isinstance(p, URLPattern) and p.name:
                if not namespace and str(p.pattern).startswith(("admin/", "api/")):
                    continue  # the staff console and the API are not pages for people
                yield f"{namespace}{p.name}", p

    for name, pattern in walk(get_resolver().url_patterns):
        if name.rsplit(":", 1)[-1] in NOT_PAGES or name in NOT_PAGES:
            continue
        if not pattern.pattern.converters and "<" not in str(pattern.pattern):
            urls.append(reverse(name))
        elif name in SAMPLES:
            urls.extend(reverse(name, kwargs=kwargs) for kwargs in SAMPLES[name](data))
        else:
            missing.append(name)
    return sorted(set(urls) | set(EXTRA)), missing


@pytest.fixture
def everything(settings, tmp_path, django_capture_on_commit_callbacks):
    """The demo person with data everywhere; returns the objects the URL samples need."""
    from django.db import transaction

    from piwarden.accounts import services as accounts
    from piwarden.accounts.models import Account
    from piwarden.campaigns import services as campaigns
    from piwarden.catalog.models import Purpose
    from piwarden.consent import decisions
    from piwarden.consent import services as consent
    from piwarden.consent.models import Channel
    from piwarden.leads import services as leads
    from piwarden.payments import services as payments
    from piwarden.policy.models import PolicyVersion
    from piwarden.publication.models import PublishedItem
    from piwarden.rights import services as rights
    from piwarden.subjectdata import services as subjectdata
    from piwarden.web.management.commands.demo import DEMO_EMAIL, DEMO_PHONE
    from tests.accounts.test_id_info import ADULT_ID
    from tests.campaigns import factories
    from tests.local_messages import route_messages_locally
    from tests.outbox.sending import send_queued

    route_messages_locally(settings, tmp_path)
    settings.PIWARDEN_CANCELLATION_COOLING_OFF_DAYS = 7
    decisions.clear_cache()
    labels.clear_cache()
    capture = django_capture_on_commit_callbacks

    with capture(execute=True):
        call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    credentials = json.loads((tmp_path / "demo-credentials.txt").read_text())
    account = Account.objects.get(subject__pk__in=_subjects_with(DEMO_EMAIL))
    subject = account.subject
    send_queued()

    def code_in(text):
        return re.search(r"\b(\d{6})\b", text).group(1)

    sms = [json.loads(x) for x in settings.PIWARDEN_SMS_FILE.read_text().splitlines()]
    with capture(execute=True):
        accounts.verify_contact(account=account, channel="phone",
                                code=code_in(next(m for m in reversed(sms)
                                                  if m["to"] == DEMO_PHONE)["text"]))
        accounts.verify_contact(account=account, channel="email",
                                code=code_in(next(m for m in reversed(mail.outbox)
                                                  if DEMO_EMAIL in m.to).body))
    account.refresh_from_db()
    with capture(execute=True):
        accounts.set_field(account=account, field="name", value="李小明")
        accounts.set_field(account=account, field="user_name", value="xiaoming")
        accounts.set_field(account=account, field="contact_other", value="微信号 lixiaoming2026")
        accounts.set_field(account=account, field="address", value={
            "province": "浙江省", "city": "杭州市", "district": "西湖区",
            "street": "文三路 477 号", "postcode": "310013"})
        payments.save_profile(account=account, consent_given=True,
                              notice_version=consent.policy_version(), data={
                                  "invoice_type": "personal", "name": "李小明",
                                  "id_type": "prc_resident_id", "id_number": ADULT_ID,
                                  "address": {"province": "浙江省", "city": "杭州市",
                                              "street": "文三路 477 号", "postcode": "310013"},
                                  "invoice_title": "李小明", "remarks": "请放在前台"})
        payments.top_up(actor=Actor.system("tests"), subject=subject, amount_minor=5000)
        person = Actor.person(subject)
        asked = consent.notice_for(purpose=Purpose.objects.get(key="marketing.email"),
                                   scope="general", choice="grant")
        consent.grant(actor=person, subject=subject, purpose="marketing.email",
                      notice_text=asked, channel=Channel.WEB)
        consent.withdraw(actor=person, subject=subject, purpose="marketing.email",
                         notice_text=asked, channel=Channel.WEB)
        consent.grant(actor=person, subject=subject, purpose="marketing.email",
                      notice_text=asked, channel=Channel.WEB)

    with capture(execute=True):
        with transaction.atomic():
            lead = leads.submit(submission=leads.Submission(
                phone="13800138000", email=DEMO_EMAIL, name="李小明", message="请给我回电话"),
                contact_ok=True, notice_version=consent.policy_version(), channel="form")
        leads.claim(account=account, lead_ids=[lead.pk])
        camp = factories.campaign()
        campaigns.grant_partner_access(actor=Actor.system("tests"), campaign=camp,
                                       username="acme-07", password=factories.PASSWORD)
        entry = factories.entry(camp, phone="13800138000", email=DEMO_EMAIL, name="李小明")
        campaigns.claim(account=account, entry_ids=[entry.pk])

    requests = []
    for type_, params, text in (
            ("access", {"lang": "zh-hans"}, ""), ("portability", {"lang": "en"}, ""),
            ("correction", {"field": "name"}, "李晓明"),
            ("deletion", {"categories": ["user.contact.other"]}, ""),
            ("withdrawal", {"purpose": "marketing.email"}, ""),
            ("explanation", {}, "你们为什么需要我的地址？"), ("complaint", {}, "回复太慢了。"),
            ("cancellation", {}, "")):
        with capture(execute=True):
            req = rights.submit(actor=person, subject=subject, type=type_,
                                channel="privacy_center", params=params, text=text,
                                verified=True)
        req.refresh_from_db()
        with capture(execute=True):
            if req.export_archive_id:
                subjectdata.build_export(archive_id=req.export_archive_id)
            if req.erasure_run_id:
                subjectdata.run_erasure(run_id=req.erasure_run_id)
        req.refresh_from_db()
        requests.append(req)
    links = []
    for req in requests:
        if req.erasure_run_id:
            from piwarden.subjectdata.models import ErasureRun

            with transaction.atomic():
                links.append(subjectdata.issue_certificate_link(
                    actor=Actor.system("tests"), run=ErasureRun.objects.get(pk=req.erasure_run_id)))
    send_queued()
    bodies = "\n".join([m.body for m in mail.outbox] + links)
    return {
        "account": account, "login": DEMO_EMAIL, "password": credentials["person_password"],
        "requests": requests,
        "archives": [r.export_archive_id for r in requests if r.export_archive_id],
        "runs": [r.erasure_run_id for r in requests if r.erasure_run_id],
        "certificate_tokens": sorted(set(re.findall(
            r"/privacy/data/certificates/link/([^/\s]+)/", bodies))),
        "unsubscribe_tokens": sorted(set(re.findall(r"/privacy/unsubscribe/([^/\s]+)/", bodies))),
        "versions": list(PolicyVersion.objects.values_list("version", flat=True)),
        "items": list(PublishedItem.objects.filter(subject=subject).values_list("pk", flat=True)),
        "campaign": camp, "leads": [lead.pk], "entries": [entry.pk],
        "partner_login": {"username": "acme-07", "password": factories.PASSWORD},
        "allowed_words": ["李小明", "xiaoming", "lixiaoming2026", DEMO_EMAIL, DEMO_PHONE],
    }


def _subjects_with(email):
    from piwarden.vault import services as vault

    return vault.find_subject_ids("email", email)


def _catalog_names() -> list[str]:
    """Legal names and providers the catalog gives in one language only (a company's name),
    and cookie and storage names (a person finds them under these names in the browser)."""
    from piwarden.catalog.models import Recipient, StorageItem, System

    names = set(Recipient.objects.exclude(legal_name="").values_list("legal_name", flat=True))
    names |= set(StorageItem.objects.values_list("name", flat=True))
    names |= set(System.objects.values_list("name", flat=True))
    return sorted(names, key=len, reverse=True)


def _client(lang: str) -> Client:
    from django.conf import settings

    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client


def test_i17_3_no_page_shows_a_raw_code_in_either_language(everything):
    """P-4 and issue 17 point 3: no page has a link carrying PI, or shows an internal code.

    Every privacy-center page, signed in (a person with data everywhere), signed out and as
    a partner's campaign staff, in English and Chinese, and the deletion certificate: no
    internal code in the visible text, no English sentence on a Chinese page, and no URL in a
    link, image or form (percent-decoded) in which the PII detectors find anything (P-4: URLs
    never carry PI). All offences are listed at once."""
    urls, missing = page_urls(everything)
    assert not missing, f"pages with parameters and no sample in SAMPLES: {missing}"
    assert any("/privacy/data/certificates/" in u for u in urls), "no certificate page checked"
    assert any("/privacy/data/certificates/link/" in u and "no-such-token" not in u
               for u in urls), "no certificate link checked"
    allowed = everything["allowed_words"] + _catalog_names()
    report, seen = [], 0
    for lang in LANGS:
        visitor = _client(lang)
        member = _client(lang)
        response = member.post("/account/login/", {"identifier": everything["login"],
                                                   "password": everything["password"]})
        assert response.status_code == 302, response.content[:300]
        partner = _client(lang)
        response = partner.post("/campaigns/login/", everything["partner_login"])
        assert response.status_code == 302, response.content[:300]
        for who, client in (("person", member), ("visitor", visitor), ("partner staff", partner)):
            for url in urls:
                response = client.get(url)
                if "text/html" not in response.get("Content-Type", ""):
                    continue
                seen += 1
                parsed = _parsed(response.content.decode())
                found = offences("".join(parsed.parts), lang, allowed)
                found += offences("".join(parsed.english), "en", allowed)
                for line in dict.fromkeys(found):
                    report.append(f"[{lang} {who} {response.status_code}] {url}: {line}")
                for link in _links(response.content.decode()):
                    for finding in scan(unquote(link)):
                        report.append(f"[{lang} {who}] {url}: a link carries {finding.type}")
    assert seen > 40
    assert not report, f"{len(report)} raw codes or untranslated texts:\n" + "\n".join(report)


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|src|action|formaction)="([^"]*)"', html)


def test_p_4_the_link_check_finds_pi_in_a_query_string():
    """P-4: the link check itself finds an e-mail address in a percent-encoded query."""
    html = '<a href="/x?next=%2Fy%3Fmail%3Dzhang.san%40example.com">x</a><img src="/a.png">'
    assert [f.type for link in _links(html) for f in scan(unquote(link))] == ["email"]


def test_i17_3_the_checker_finds_each_kind_of_code():
    """The checker itself: each kind of code is caught, real words are not."""
    html = ("<html><head><style>.a_b{}</style><script>var x_y = 'P14D';</script></head><body>"
            "<p>Data categories user.address</p><p>legal_obligation</p><p>PHONE_INVALID</p>"
            "<p>P14D</p><p>Params: {\"lang\": \"en\"}</p><p>None</p>"
            "<p>2026-12-04 06:03:07.123456+00:00</p>"
            "<p data-code=\"PHONE_INVALID\" title=\"user.contact.email\">E-mail address</p>"
            "<p>Write to privacy@example.com or see https://example.com/a_b/ and report.html</p>"
            "</body></html>")
    found = " ".join(offences(visible_text(html), "en", []))
    for needle in ("user.address", "legal_obligation", "PHONE_INVALID", "P14D", "raw JSON",
                   "None", "raw timestamp"):
        assert needle in found, needle
    for clean in ("user.contact.email", "privacy@example.com", "a_b", "report.html", "x_y"):
        assert clean not in found, clean
    zh = offences(visible_text("<p>请检查 Please check what you entered.</p><p>电子邮箱</p>"),
                  "zh-hans", [])
    assert len(zh) == 1 and "English" in zh[0]


def test_i17_3_a_refused_form_shows_the_error_in_words_and_keeps_the_code_in_data_code(
        settings):
    """"Please correct the problem below. PHONE_INVALID" becomes the sentence, in Chinese on
    a Chinese page; the code stays only in ``data-code`` for scripts and tests."""
    settings.PIWARDEN_LEADS_MIN_FILL_SECONDS = 0
    client = _client("zh-hans")
    page = client.get("/contact/").content.decode()
    hidden = dict(re.findall(r'name="(started|notice_version)" value="([^"]*)"', page))
    response = client.post("/contact/", {**hidden, "phone": "12345", "contact_ok": "on"})
    html = response.content.decode()
    assert 'data-code="PHONE_INVALID"' in html
    text = visible_text(html)
    assert "PHONE_INVALID" not in text
    assert labels.error("PHONE_INVALID", "zh-hans") in text
