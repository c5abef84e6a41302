"""Issue 17 point 4: the export's readable report (report.html and report.pdf) groups the data by
what it means to the person, labels every field in their language and formats every value."""

import base64
import html
import io
import re
import uuid
import zipfile
import zlib

import pytest
from PIL import Image

from piwarden.accounts import services as accounts
from piwarden.audit.actors import Actor
from piwarden.rights import services as rights
from piwarden.subjectdata import archive as files
from piwarden.subjectdata import report, services
from piwarden.subjects import registry

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")
ADDRESS = {"province": "浙江省", "city": "杭州市", "district": "西湖区",
           "street": "文三路 90 号", "postcode": "310012"}
HEADINGS = {
    "en": ["Profile", "Contacts", "Consents and their history", "Requests", "Payments",
           "Activity", "Who received my data"],
    "zh-hans": ["个人资料", "联系方式", "同意及其记录", "权利请求", "支付", "活动记录",
                "谁收到了我的信息"],
}
# What the sharing app's disclosure register exports (sharing/subject_data.py), one row.
DISCLOSURES = {"recipients": [{
    "recipient": "Acme Logistics", "recipient_zh": "阿克米物流", "contact": "privacy@acme.example",
    "purpose": "Delivering your order", "purpose_zh": "配送您的订单",
    "categories": "Name, Phone number", "categories_zh": "姓名、手机号码",
    "provided_at": "2026-12-04T14:03:27+08:00"}]}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (11, 92, 173)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def rich(person, monkeypatch, django_capture_on_commit_callbacks):
    """The person with a logo, an address, a request with options, and a disclosure."""
    with django_capture_on_commit_callbacks(execute=True):
        accounts.set_avatar(account=person, data=_png())
        accounts.set_field(account=person, field="address", value=ADDRESS)
        rights.submit(actor=Actor.person(person.subject), subject=person.subject,
                      type="explanation", channel="privacy_center", params={"lang": "en"},
                      text="Why do you keep my phone number?")
    source = registry.Source(name="sharing.disclosures", models=(), categories=("user",),
                             export=lambda subject: DISCLOSURES,
                             erase=lambda **kw: registry.Erased())
    monkeypatch.setitem(registry._sources, "sharing.disclosures", source)
    return person


def _export(account, lang):
    archive = services.start_export(actor=STAFF, subject=account.subject, lang=lang,
                                    request_ref=str(uuid.uuid4()))
    archive = services.build_export(archive_id=archive.pk)
    return zipfile.ZipFile(io.BytesIO(files.read_decrypted(archive)))


def _visible(page: str) -> str:
    """The text a reader sees: no style, tags or attributes (data URIs, data-code)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _codes(text: str, allowed: list[str]) -> list[str]:
    """Raw codes in ``text``: dotted keys, snake_case, UPPER_SNAKE, ISO timestamps, JSON."""
    for value in allowed:
        text = text.replace(value, " ")
    patterns = [r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\.[a-z][a-z0-9_]*)+\b",  # user.contact.email
                r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b",
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", r"\d{2}:\d{2}:\d{2}\.\d+",
                r"[{}]", r"\bP\d+[YMWD]\b", r"\b(?:true|false|None)\b"]
    return [m.group(0) for p in patterns for m in re.finditer(p, text)]


def _columns(zf) -> set[str]:
    import json

    sources = json.loads(zf.read("data.json"))["sources"]
    return {column for tables in sources.values() for rows in tables.values()
            for row in rows for column in row}


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_i17_4_report_html_groups_labels_and_formats_the_data(rich, lang):
    """report.html has the sections by meaning, labels instead of column names, China time
    without microseconds, the address as text, the logo as an image, and no raw code."""
    zf = _export(rich, lang)
    page = zf.read("report.html").decode()
    text = _visible(page)
    for heading in HEADINGS[lang]:
        assert re.search(rf"<h2[^>]*>{re.escape(heading)}</h2>", page), heading
    assert rich.test_name in text and rich.test_email in text and rich.test_phone in text
    assert "浙江省 杭州市 西湖区 文三路 90 号 310012" in text
    assert "Acme Logistics" in text if lang == "en" else "阿克米物流" in text
    assert "Why do you keep my phone number?" in text
    assert re.search(r'<img [^>]*src="data:image/png;base64,[A-Za-z0-9+/=]+"', page)
    logo = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert logo not in text
    columns = sorted(c for c in _columns(zf) if "_" in c)
    assert "phone_verified_at" in columns and "avatar_png_base64" in columns
    assert not [c for c in columns if re.search(rf"\b{c}\b", text)]
    assert re.search(r"\b20\d\d-\d\d-\d\d \d\d:\d\d\b", text)  # China time, minutes
    allowed = [rich.test_email, "privacy@acme.example", "data.json", "report.pdf",
               "Mozilla/5.0", "127.0.0.1", "testserver"]
    assert _codes(text, allowed) == []
    if lang == "zh-hans":
        assert "您的个人信息" in text and "用户名" in text and "手机号码" in text


def test_i17_4_every_exported_field_has_a_label(rich):
    """Each field of every table the registry exported for the person has a label (a new
    column without one fails here), and each table has a section."""
    from piwarden.subjectdata.archive import timezone

    data = services.collect(rich.subject)
    built = report.build(data=data, lang="en", subject_id=rich.subject_id,
                         created=timezone.now())
    assert built.unlabelled == set()
    assert "other" not in [s.key for s in built.sections]
    shown = {b.key for s in built.sections for b in s.blocks}
    assert {"account", "contact_values", "profile_values", "events", "rights_requests",
            "entries", "recipients"} <= shown


def test_i17_4_an_unmapped_table_goes_to_other_and_is_flagged(rich):
    """A table the report does not know is shown under "Other" (never dropped), and its
    unlabelled field is reported so a test notices."""
    from piwarden.subjectdata.archive import timezone

    data = {"zz.new": {"widgets": [{"colour_code": "blue"}]}}
    built = report.build(data=data, lang="en", subject_id=rich.subject_id,
                         created=timezone.now())
    other = next(s for s in built.sections if s.key == "other")
    assert other.blocks[0].rows[0][0].text == "blue"
    assert other.blocks[0].columns == ["Colour code"]
    assert "widgets.colour_code" in built.unlabelled


def _pdf_strings(data: bytes) -> bytes:
    """The text strings of a ReportLab PDF's page streams (ASCII85 + Flate), unescaped."""
    out = b""
    for head, body in re.findall(rb"<<((?:(?!<<).)*?)>>\s*stream\r?\n(.*?)endstream", data,
                                 re.S):
        body = body.strip()
        if b"ASCII85Decode" in head:
            body = base64.a85decode(body.removeprefix(b"<~").removesuffix(b"~>"))
        if b"FlateDecode" in head:
            body = zlib.decompress(body)
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", body, re.S):
            out += re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8)])
                          if m.group(1)[:1].isdigit() else m.group(1), literal) + b"\n"
    return out


def test_i17_4_pdf_in_chinese_uses_the_builtin_cid_font(rich):
    """report.pdf is in the ZIP, a PDF of at least one page, set in STSong-Light (no system
    font needed), with the person's name and the Chinese section headings."""
    zf = _export(rich, "zh-hans")
    data = zf.read("report.pdf")
    assert data.startswith(b"%PDF")
    assert b"/BaseFont /STSong-Light" in data
    assert len(re.findall(rb"/Type /Page\b", data)) >= 1
    strings = _pdf_strings(data)
    assert rich.test_name.encode("utf-16-be") in strings
    assert "谁收到了我的信息".encode("utf-16-be") in strings
    assert "个人资料".encode("utf-16-be") in strings
    assert b"/Subtype /Image" in data  # the logo


def test_i17_4_pdf_in_english_renders_a_chinese_name(rich):
    """An English report sets Latin text in Helvetica and the Chinese name in STSong-Light."""
    data = _export(rich, "en").read("report.pdf")
    assert data.startswith(b"%PDF") and b"/BaseFont /Helvetica" in data
    assert b"/BaseFont /STSong-Light" in data
    strings = _pdf_strings(data)
    assert b"Who received my data" in strings
    assert rich.test_name.encode("utf-16-be") in strings


def test_i17_4_readme_lists_the_pdf(rich):
    readme = _export(rich, "en").read("README.txt").decode()
    assert "report.pdf" in readme and "report.html" in readme


@pytest.mark.parametrize("table", ["rights_requests", "zz_unknown"])
def test_i17_4_a_page_long_chinese_text_splits_across_pages_in_the_pdf(rich, table):
    """A 4,000-character Chinese text (the longest a request may hold) is taller than a page:
    the PDF splits its row across pages instead of failing the whole export."""
    from piwarden.subjectdata import pdf
    from piwarden.subjectdata.archive import timezone

    long_text = "我想知道你们为什么保存我的电话号码以及保存多久。" * 170
    data = {"rights.requests": {table: [{"type": "explanation", "text": long_text}]}}
    built = report.build(data=data, lang="zh-hans", subject_id=rich.subject_id,
                         created=timezone.now())
    document = pdf.render(built)
    assert document.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b", document)) >= 2
