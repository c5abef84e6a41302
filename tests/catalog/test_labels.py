"""piwarden.catalog.labels: codes become words in both languages (issue 17, point 3)."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from piwarden.catalog import labels

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_labels():
    labels.clear_cache()
    yield
    labels.clear_cache()


def test_i17_3_category_purpose_recipient_names_come_from_the_catalog():
    """A category, purpose or recipient key reads as its catalog name, in each language."""
    from piwarden.catalog.models import DataCategory, Purpose, Recipient

    email = DataCategory.objects.get(key="user.contact.email")
    assert labels.category("user.contact.email", "en") == email.name_en
    assert labels.category("user.contact.email", "zh-hans") == email.name_zh
    p = Purpose.objects.filter(retired=False).first()
    assert labels.purpose(p.key, "zh-hans") == p.name_zh
    r = Recipient.objects.filter(retired=False).first()
    assert labels.recipient(r.key, "en") == r.name_en
    with translation.override("zh-hans"):
        assert labels.category("user.contact.email") == email.name_zh


def test_i17_3_category_names_are_read_once_per_catalog_token(django_assert_num_queries):
    """A list page does not query per row: names are read once, then cached."""
    labels.category("user.contact.email")
    with django_assert_num_queries(0):
        for _ in range(20):
            labels.category("user.contact.email", "zh-hans")
            labels.purpose("service.provision", "en")


def test_i17_3_a_renamed_category_is_seen_at_once():
    """A saved catalog row drops the cached names."""
    from piwarden.catalog.models import DataCategory

    labels.category("user.contact.email")
    DataCategory.objects.filter(key="user.contact.email").update(name_en="Mail")
    DataCategory.objects.get(key="user.contact.email").save()
    assert labels.category("user.contact.email", "en") == "Mail"


def test_i17_3_unknown_keys_get_a_readable_fallback_never_the_key():
    """An unknown key shows its last segment as words."""
    assert labels.category("user.brand_new_thing", "en") == "Brand new thing"
    assert labels.purpose("made.up_purpose", "en") == "Up purpose"
    assert "." not in labels.recipient("x.y_z") and "_" not in labels.recipient("x.y_z")
    assert labels.error("NO_SUCH_CODE", "en") == "Please check what you entered."
    assert labels.error("NO_SUCH_CODE", "zh-hans") == "请检查您填写的内容。"


def test_i17_3_categories_join_with_the_language_separator():
    """A list of keys reads "A, B" in English and "A、B" in Chinese."""
    en = labels.categories(["user.contact.email", "user.contact.phone"], "en")
    zh = labels.categories(["user.contact.email", "user.contact.phone"], "zh-hans")
    assert ", " in en and "user." not in en
    assert "、" in zh and "user." not in zh


def test_i17_3_legal_bases_read_as_words():
    """``legal_obligation``, ``contract``, ``consent.separate`` read as words in both languages."""
    for key in ("legal_obligation", "contract", "consent.separate", "consent"):
        for lang in ("en", "zh-hans"):
            text = labels.basis(key, lang)
            assert text and key not in text
    assert labels.basis("legal_obligation", "zh-hans").startswith("履行法定")


@pytest.mark.parametrize(("iso", "en", "zh"), [
    ("P14D", "14 days", "14 天"),
    ("P1Y", "1 year", "1 年"),
    ("P6M", "6 months", "6 个月"),
    ("PT30M", "30 minutes", "30 分钟"),
    ("P1Y6M", "1 year and 6 months", "1 年 6 个月"),
    ("P1D", "1 day", "1 天"),
    ("session", "Until you close the browser", "至您关闭浏览器时"),
    ("account_lifetime", "As long as your account exists", "账户存续期间"),
])
def test_i17_3_durations_read_as_words(iso, en, zh):
    """ISO-8601 durations and named retention rules read as words (never ``P14D``)."""
    assert labels.duration(iso, "en") == en
    assert labels.duration(iso, "zh-hans") == zh


def test_i17_3_scopes_storage_kinds_categories_and_parties_read_as_words():
    """Consent scopes, storage kinds and banner categories read as words."""
    assert labels.scope("separate.sensitive", "en") == \
        "Separate consent for sensitive personal information"
    assert labels.scope("separate.sensitive", "zh-hans") == "处理敏感个人信息的单独同意"
    assert labels.storage_kind("local_storage", "en") == "Local storage"
    assert labels.storage_kind("local_storage", "zh-hans") == "本地存储"
    assert labels.storage_category("analytics", "zh-hans") == "统计分析"
    assert labels.party("third", "zh-hans").startswith("第三方")


def test_i17_3_every_error_code_has_a_sentence_in_both_languages():
    """Every code of the error table reads as a sentence, translated into Chinese."""
    assert labels.error("PHONE_INVALID", "en") == "Enter a valid phone number."
    assert labels.error("PHONE_INVALID", "zh-hans") == "请输入有效的手机号码。"
    assert labels.error("ID_CHECKSUM_INVALID", "zh-hans") == "该身份证号码的校验码不正确。"
    untranslated = [code for code in labels.error_codes()
                    if labels.error(code, "zh-hans") == labels.error(code, "en")]
    assert not untranslated


def test_i17_3_china_time_has_no_seconds_and_china_date_is_localised():
    """Datetimes show China time without seconds; dates in the language's format."""
    moment = datetime.datetime(2026, 12, 4, 6, 3, 59, 123456, tzinfo=datetime.UTC)
    assert labels.china_time(moment) == "2026-12-04 14:03"
    late = datetime.datetime(2026, 12, 4, 18, 0, tzinfo=datetime.UTC)
    assert labels.china_date(late, "en") == "2026-12-05"
    assert labels.china_date(late, "zh-hans") == "2026年12月5日"
    assert labels.china_time(None) == ""


def test_i17_3_template_filters_render_the_same_words():
    """``{% load labels %}`` filters give the same words as the Python functions."""
    template = Template(
        "{% load labels %}{{ c|category_label }}|{{ d|duration_label }}|{{ k|storage_kind_label }}|"
        "{{ e|error_label }}|{{ s|scope_label }}|{{ b|basis_label }}|{{ t|china_time }}")
    with translation.override("zh-hans"):
        out = template.render(Context({
            "c": "user.contact.email", "d": "P14D", "k": "local_storage", "e": "PHONE_INVALID",
            "s": "separate.sensitive", "b": "legal_obligation",
            "t": datetime.datetime(2026, 12, 4, 6, 3, tzinfo=datetime.UTC)}))
    parts = out.split("|")
    assert parts[1:] == ["14 天", "本地存储", "请输入有效的手机号码。",
                         "处理敏感个人信息的单独同意", labels.basis("legal_obligation", "zh-hans"),
                         "2026-12-04 14:03"]
    assert "user." not in parts[0]


def test_i17_3_an_address_reads_as_one_line_not_json():
    """A structured address (dict or its JSON) reads as one line, never ``{"city": …}``."""
    value = ('{"city":"杭州市","district":"西湖区","postcode":"310013","province":"浙江省",'
             '"street":"文三路 477 号"}')
    assert labels.address(value, "zh-hans") == "浙江省杭州市西湖区文三路 477 号（邮编 310013）"
    assert labels.address(value, "en") == "浙江省 杭州市 西湖区 文三路 477 号 (postcode 310013)"
    assert labels.address("not json", "en") == "not json"


def test_i17_5_advertising_partner_and_roles_are_translated():
    """The catalog's "Advertising partner" provider, recipient roles and consent forms read
    as Chinese on Chinese pages."""
    assert labels.provider("Advertising partner", "zh-hans") == "广告合作伙伴"
    assert labels.provider("Example Payments Ltd.", "zh-hans") == "Example Payments Ltd."
    assert labels.recipient_role("processor", "zh-hans") == "受托处理者（按我们的指示处理）"
    assert labels.consent_requirement("none", "zh-hans") == "无需同意（其他合法性基础）"
    assert labels.country("HK", "zh-hans") == "中国香港特别行政区"


def test_a_redaction_marker_reads_in_the_readers_language():
    """Screening stores ``[REDACTED]`` the same in every language; pages show it in words."""
    assert labels.redactions("ID [REDACTED], [REDACTED]", "zh-hans") == "ID 【已删除】, 【已删除】"
    assert labels.redactions("ID [REDACTED]", "en") == "ID [removed]"
    assert labels.redactions("nothing removed", "zh-hans") == "nothing removed"
    assert labels.redactions(None) is None
