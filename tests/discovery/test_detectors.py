"""Each detector: what it finds, the near misses it leaves, and numbers glued to Chinese text.

Valid values are built with python-stdnum's own check algorithms, so a test does not lean on the
code it tests.
"""

import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc

from piwarden.discovery import TYPES, Finding, redact, scan

ID = "110101199003077571"  # Beijing Dongcheng, born 1990-03-07; the check digit is right
ID_X = "11010519491231002X"  # a check character X
WIDE_ID = ID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})  # full-width digits
WIDE_AT = "\uff20"


def found(text):
    return [(f.type, text[f.start:f.end]) for f in scan(text)]


def card(prefix, length):
    body = prefix + "0" * (length - len(prefix) - 2) + "7"
    return body + luhn.calc_check_digit(body)


def test_i18_fixture_values_are_what_the_tests_say():
    assert ric.is_valid(ID) and ric.is_valid(ID_X)
    assert not ric.is_valid("110101199003077578")  # the example: wrong check digit


@pytest.mark.parametrize("text, expected", [
    (f"身份证号{ID}已上传", ID),
    (f"请回电 13912345678，身份证{ID}", ID),
    (f"ID: {ID}.", ID),
    (f"ID{ID}", ID),
    (f"证件号码：{ID_X}，谢谢", ID_X),
    (f"证件号码：{ID_X.lower()}。", ID_X.lower()),
    (f"号码 {ID[:6]} {ID[6:14]} {ID[14:]} 已核对", f"{ID[:6]} {ID[6:14]} {ID[14:]}"),
])
def test_i18_resident_id_true_matches_and_glued_text(text, expected):
    assert ("cn_resident_id", expected) in found(text)


@pytest.mark.parametrize("text", [
    "身份证号110101199003077578已上传",        # wrong check digit
    "身份证号110101199013077576已上传",        # month 13
    "身份证号110101199002300000已上传",        # 30 February
    f"身份证{ID[:6]}2090{ID[10:17]}X",         # born in the future (check char not even right)
    f"编号{ID}9",                              # 19 digits: part of a longer number
    f"编号9{ID}",
    f"{ID[:17]}",                              # 17 digits
    "991010199003077571",                     # no such province
    f"hash a9{ID}f0",                          # inside a hex token
])
def test_i18_resident_id_near_misses_are_not_found(text):
    assert not [kind for kind, _ in found(text) if kind == "cn_resident_id"]


@pytest.mark.parametrize("text, expected", [
    ("手机13912345678联系", "13912345678"),
    ("Call 139-1234-5678 today", "139-1234-5678"),
    ("电话：139 1234 5678", "139 1234 5678"),
    ("+86 13912345678", "+86 13912345678"),
    ("tel:+86-139-1234-5678", "+86-139-1234-5678"),
    ("0086 13912345678", "0086 13912345678"),
    ("(+86)13912345678", "(+86)13912345678"),
    ("86-139-1234-5678", "86-139-1234-5678"),
    ("TEL18612345678", "18612345678"),
    ("139.1234.5678", "139.1234.5678"),
    ("2024-05-12 13912345678", "13912345678"),
])
def test_i18_mainland_mobile_true_matches(text, expected):
    assert found(text) == [("cn_mobile", expected)]


@pytest.mark.parametrize("text", [
    "号码1391234567已停用",     # 10 digits
    "号码139123456789已停用",   # 12 digits
    "号码12312345678",          # 12x is no mobile prefix
    "号码10012345678",
    "订单1391234567812345",     # inside a longer number
    "时间戳1700000000123",
])
def test_i18_mainland_mobile_near_misses(text):
    assert found(text) == []


def test_i18_cards_pass_luhn_and_a_scheme_prefix():
    unionpay, visa, amex = card("62", 19), card("4", 16), card("37", 15)
    text = (f"卡号{unionpay}已绑定; visa {visa[:4]} {visa[4:8]} {visa[8:12]} {visa[12:]}; "
            f"amex {amex[:4]}-{amex[4:10]}-{amex[10:]}")
    assert [kind for kind, _ in found(text)] == ["bank_card"] * 3
    wrong = visa[:-1] + str((int(visa[-1]) + 1) % 10)
    assert found(f"card {wrong}") == []
    assert found(f"订单号 {visa}") == []  # an order number that happens to pass Luhn


def test_i18_uscc_is_an_organisation_with_both_check_characters():
    code = "91350100M000100Y43"
    assert uscc.is_valid(code)
    assert found(f"统一社会信用代码：{code}，地址") == [("cn_uscc", code)]
    assert found(f"代码{code}") == [("cn_uscc", code)]
    assert TYPES["cn_uscc"] == "business.registration"
    assert found("统一社会信用代码：91350100M000100Y44") == []  # wrong check character
    assert found("统一社会信用代码：91350100M000101Y43") == []  # wrong organisation code


@pytest.mark.parametrize("text, expected", [
    ("护照号E12345678已核验", "E12345678"),
    ("passport EA1234567.", "EA1234567"),
    ("护照：G12345678", "G12345678"),
])
def test_i18_passport_shapes(text, expected):
    assert found(text) == [("cn_passport", expected)]


@pytest.mark.parametrize("text", ["型号E1234567", "E123456789", "EI1234567", "AE12345678",
                                  "订单E12345678"])
def test_i18_passport_near_misses(text):
    assert found(text) == []


def test_i18_email_glued_and_in_urls():
    assert found("邮箱zhang.san@example.com已验证") == [("email", "zhang.san@example.com")]
    assert found("mailto:li+news@mail.example.cn.") == [("email", "li+news@mail.example.cn")]
    assert found("13912345678@163.com") == [("email", "13912345678@163.com")]
    assert found("@张三 see you at 3") == []
    assert found("user@localhost") == []


def test_p_4_pi_in_a_url_query_string_is_found():
    url = f"https://example.com/search?phone=13912345678&id={ID}&mail=a.b%40example.com"
    assert [kind for kind, _ in found(url)] == ["cn_mobile", "cn_resident_id", "email"]
    assert found(url)[-1] == ("email", "a.b%40example.com")
    assert found("https://example.com/u?mail=a.b@example.com") == [("email", "a.b@example.com")]


def test_i18_ip_addresses_and_versions():
    assert found("from 203.0.113.7 at 12:30:45") == [("ipv4", "203.0.113.7")]
    assert found("来自192.168.1.10的请求") == [("ipv4", "192.168.1.10")]
    assert found("http://203.0.113.7:8080/x") == [("ipv4", "203.0.113.7")]
    ua = "Mozilla/5.0 (Windows NT 10.0) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80"
    assert found(ua) == []
    assert found("version 1.2.3.4 and 10.0.19045 and 999.1.1.1 and 1.2.3.4.5") == []
    assert found("fe80::1ff:fe23:4567:890a%eth0") == [("ipv6", "fe80::1ff:fe23:4567:890a")]
    assert found("addr 2001:db8::8a2e:370:7334, ok") == [("ipv6", "2001:db8::8a2e:370:7334")]
    assert found("::ffff:192.0.2.128") == [("ipv6", "::ffff:192.0.2.128")]
    assert found("std::vector at 12:30:45, mac 00:1A:2B:3C:4D:5E") == []


def test_i18_us_and_uk_numbers():
    assert found("SSN 123-45-6789") == [("us_ssn", "123-45-6789")]
    assert found("SSN 000-12-3456, 666-12-3456, 912-12-3456, 123-00-4567") == []
    assert found("ssn: 123456789") == [("us_ssn", "123456789")]
    assert found("order 123456789") == []
    assert found("call (415) 555-2671") == [("us_phone", "(415) 555-2671")]
    assert found("+1 415 555 2671 or 415.555.2671") == [("us_phone", "+1 415 555 2671"),
                                                       ("us_phone", "415.555.2671")]
    assert found("call 123-456-7890") == []  # area code 123 does not exist
    assert found("+44 20 7946 0958 / 07700 900123") == [("uk_phone", "+44 20 7946 0958"),
                                                        ("uk_phone", "07700 900123")]
    assert found("北京 010-12345678") == []


def test_i18_bank_account_needs_a_context_word():
    assert found("银行账号：6214830100012345") == [("bank_account", "6214830100012345")]
    assert found("bank account no. 12345678901") == [("bank_account", "12345678901")]
    assert found("数量 6214830100012345") == []


def test_i18_every_type_has_a_category_and_words():
    from piwarden.discovery.labels import TYPE_NAMES

    assert set(TYPE_NAMES) == set(TYPES)


def test_i18_findings_carry_span_confidence_and_category():
    text = f"手机13912345678，身份证{ID}"
    findings = scan(text)
    assert findings == sorted(findings, key=lambda f: f.start)
    assert all(isinstance(f, Finding) and 0 < f.confidence <= 1 for f in findings)
    assert [(f.type, f.category) for f in findings] == [
        ("cn_mobile", "user.contact.phone"), ("cn_resident_id", "user.id_info")]
    assert redact(text, findings) == "手机[REDACTED]，身份证[REDACTED]"


def test_i18_text_without_identifiers_is_left_alone():
    text = "订单已于2024年5月12日12:30发货，金额¥1,234.56，共3件。Order #A-1234 shipped v1.2.3."
    assert scan(text) == []
    assert redact(text, []) == text


@pytest.mark.parametrize("text, expected", [
    ("请开发票，卡号6222021234567890128", [("bank_card", "6222021234567890128")]),
    ("订单12345已付，请退到卡号6222021234567890128", [("bank_card", "6222021234567890128")]),
    ("发票编号 1234，开户账号 0200 0012 3456 7890 123",
     [("bank_account", "0200 0012 3456 7890 123")]),
    (f"请回电，身份证号{WIDE_ID}", [("cn_resident_id", WIDE_ID)]),
    (f"zhangsan{WIDE_AT}example.com", [("email", f"zhangsan{WIDE_AT}example.com")]),
    ("8613912345678", [("cn_mobile", "8613912345678")]),
    ("07912 345678 or 07912345678 or 0044 7912 345678", [
        ("uk_phone", "07912 345678"), ("uk_phone", "07912345678"),
        ("uk_phone", "0044 7912 345678")]),
    ("server 10.0.0.1", [("ipv4", "10.0.0.1")]),
    ("11100000000013127D", [("cn_uscc", "11100000000013127D")]),  # a central body: region 10
    ("+44 (0)20 7946 0958 or (020) 7946 0958", [
        ("uk_phone", "+44 (0)20 7946 0958"), ("uk_phone", "(020) 7946 0958")]),
    (f"ID {ID[:4]} {ID[4:8]} {ID[8:12]} {ID[12:16]} {ID[16:]} ok",
     [("cn_resident_id", f"{ID[:4]} {ID[4:8]} {ID[8:12]} {ID[12:16]} {ID[16:]}")]),
])
def test_v_5_1a_what_a_reviewer_found_missed_is_found(text, expected):
    """V-5.1a: a card after an invoice word in an earlier clause, full-width digits, 86 without
    "+", plain UK mobiles, 0044, the UK trunk 0 in parentheses, a central body's USCC, an ID
    written in fours."""
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "logo@2x.png banner@3x.jpg a@b.css", "账号注册于20240512", "账户余额：12345678元",
    "account id 987654321", "第 5.4.1.2 条", "条款6.3.1.2规定", "see section 3.1.2.1",
    "OID 2.5.4.3", "ver 1.0.0.1", "SDK 3.2.1.0 build", "Android 14.0.0.1",
    "loopback 127.0.0.1 and 0.0.0.0 and ::1", "北京 (010) 12345678",
])
def test_v_5_1a_what_a_reviewer_found_wrongly_is_not(text):
    """V-5.1a: image names at 2x, dates and balances after 账号, clause and version numbers,
    the machine's own addresses."""
    assert found(text) == []
