"""The generated development corpus: deterministic, and every label re-checked independently.

The checks here use python-stdnum, phonenumbers and ipaddress, not the generator's own check
code, so a wrong label in the corpus cannot hide behind the same mistake twice.
"""

import ipaddress
import itertools
import re
from collections import Counter

import phonenumbers
import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError
from stdnum.us import ssn

from piwarden.discovery import TYPES
from piwarden.discovery.corpus import generate

DOCS = generate(3000, seed=7)
PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
             50, 51, 52, 53, 54, 61, 62, 63, 64, 65}
ACCOUNT_WORDS = ("银行账号", "账号", "开户账号", "bank account", "account no.")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _org_code_ok(code9: str) -> bool:
    """GB 11714: weights 3 7 9 10 5 8 4 2 over the first eight characters (A = 10 ...)."""
    total = sum(int(c, 36) * w for c, w in zip(code9[:8], (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return code9[8] == {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def _phone(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _resident_id_ok(value: str) -> bool:
    number = value.replace(" ", "").upper()
    if not re.fullmatch(r"\d{17}[\dX]", number) or int(number[:2]) not in PROVINCES:
        return False
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        return False
    return ric.calc_check_digit(number) == number[-1] and 1930 <= born.year <= 2020


def _valid(kind: str, value: str, before: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if kind == "cn_resident_id":
        return _resident_id_ok(value)
    if kind == "cn_mobile":
        number = _phone(value if not value.startswith("86-") else "+" + value, "CN")
        return (number is not None and number.country_code == 86
                and len(str(number.national_number)) == 11
                and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE)
    if kind == "bank_card":
        return 13 <= len(digits) <= 19 and luhn.is_valid(digits)
    if kind == "cn_uscc":
        return uscc.is_valid(value) and _org_code_ok(value[8:17])
    if kind == "cn_passport":
        return re.fullmatch(r"E(\d{8}|[A-HJ-NP-Z]\d{7})", value) is not None
    if kind == "email":
        return EMAIL.fullmatch(value) is not None
    if kind in ("ipv4", "ipv6"):
        address = ipaddress.ip_address(value)
        return address.version == int(kind[-1])
    if kind == "us_ssn":
        return ssn.is_valid(value)
    if kind == "us_phone":
        return _phone(value, "US") is not None
    if kind == "uk_phone":
        return _phone(value, "GB") is not None
    if kind == "bank_account":
        words = before.rstrip(" ：:为").lower()
        return (value.isdigit() and 10 <= len(value) <= 22 and not luhn.is_valid(value)
                and words.endswith(ACCOUNT_WORDS))
    raise AssertionError(kind)


def test_i18_corpus_is_deterministic():
    """The same seed gives the same documents; another seed gives others."""
    assert generate(300, seed=7) == DOCS[:300]
    assert generate(300, seed=8) != DOCS[:300]


def test_i18_corpus_sizes_languages_and_label_counts():
    """50-1,200 UTF-8 bytes, 0-4 labels, about a fifth with none, zh, en and mixed."""
    assert all(50 <= len(doc.text.encode()) <= 1200 for doc in DOCS)
    counts = Counter(len(doc.labels) for doc in DOCS)
    assert set(counts) == {0, 1, 2, 3, 4}
    assert 0.15 < counts[0] / len(DOCS) < 0.3
    assert set(Counter(doc.lang for doc in DOCS)) == {"zh", "en", "mixed"}
    assert {kind for doc in DOCS for kind, _, _ in doc.labels} == set(TYPES)


def test_i18_corpus_labels_are_valid_values_at_token_edges():
    """Each labelled span passes an independent check and is not cut out of a longer token."""
    for doc in DOCS:
        for kind, start, end in doc.labels:
            value = doc.text[start:end]
            assert _valid(kind, value, doc.text[max(0, start - 16):start]), (kind, value)
            before, after = doc.text[start - 1:start], doc.text[end:end + 1]
            assert not (before.isascii() and before.isalnum()), (kind, doc.text)
            assert not (after.isascii() and after.isalnum()), (kind, doc.text)


def test_i18_corpus_labels_do_not_overlap_decoys_or_each_other():
    for doc in DOCS:
        spans = sorted((s, e) for _, s, e in doc.labels + doc.decoys)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), doc.text


@pytest.mark.parametrize("kind", ["id_check", "id_month", "id_feb30", "id_future", "id_region",
                                  "id_17_digits", "id_19"])
def test_i18_corpus_resident_id_near_misses_are_invalid(kind):
    values = [doc.text[s:e] for doc in DOCS for k, s, e in doc.decoys if k == kind]
    assert values
    assert not any(_resident_id_ok(value) for value in values)


def test_i18_corpus_other_near_misses_are_invalid():
    """Wrong check characters, bad prefixes, wrong lengths, invalid SSNs and addresses."""
    decoys = Counter()
    for doc in DOCS:
        for kind, s, e in doc.decoys:
            value, decoys[kind] = doc.text[s:e], decoys[kind] + 1
            if kind.startswith("mobile_"):
                assert not _valid("cn_mobile", value, ""), value
            elif kind == "card_luhn":
                assert not luhn.is_valid(value), value
            elif kind.startswith("uscc_"):
                assert not _valid("cn_uscc", value, ""), value
            elif kind == "ssn_invalid":
                assert not ssn.is_valid(value), value
            elif kind == "us_phone_invalid":
                assert _phone(value, "US") is None, value
            elif kind == "bad_ipv4":
                with pytest.raises(ValueError):
                    ipaddress.ip_address(value)
            elif kind == "version":
                assert re.search(r"(/|v|version |Windows )$", doc.text[:s]), doc.text[s - 20:e]
            elif kind == "embedded_mobile":
                assert len(value) > 11 and value.isdigit()
    assert {"mobile_prefix", "mobile_10_digits", "mobile_12_digits", "card_luhn", "uscc_check",
            "uscc_org_check", "ssn_invalid", "us_phone_invalid", "bad_ipv4", "version",
            "embedded_mobile", "order_no", "timestamp_ms", "hex_hash", "uuid", "mac"} <= set(decoys)
    assert any(doc.text[s - 7:s] == "Chrome/" for doc in DOCS for k, s, _ in doc.decoys
               if k == "version")


def test_i18_corpus_documents_with_only_decoys_exist():
    assert sum(1 for doc in DOCS if doc.decoys and not doc.labels) > 100


def test_i18_corpus_glues_about_a_third_of_chinese_occurrences():
    """``身份证号110101…已上传``: a CJK character right before and right after the value."""
    glued, chinese = Counter(), Counter()
    for doc in DOCS:
        for kind, start, end in doc.labels:
            if doc.lang == "en" or not any(_cjk(c) or c in "：，。；"
                                           for c in doc.text[max(0, start - 2):start]):
                continue
            chinese[kind] += 1
            glued[kind] += start > 0 and _cjk(doc.text[start - 1]) and _cjk(doc.text[end:end + 1])
    assert 0.25 < sum(glued.values()) / sum(chinese.values()) < 0.45
    for kind in ("cn_resident_id", "cn_mobile", "bank_card", "cn_uscc", "cn_passport", "email",
                 "bank_account"):
        assert glued[kind] > 10, kind


def test_i18_corpus_writes_mobiles_in_every_documented_form():
    values = [doc.text[s:e] for doc in DOCS for k, s, e in doc.labels if k == "cn_mobile"]
    shapes = {re.sub(r"\d{3}[- ]?\d{4}[- ]?\d{4}$", "N", value) for value in values}
    assert shapes == {"N", "+86 N", "+86-N", "+86N", "0086 N", "(+86)N", "86-N"}
    assert {re.sub(r"\d", "9", value[-13:]) for value in values} >= {
        "999-9999-9999", "999 9999 9999"}


def test_i18_corpus_spaced_ids_lowercase_x_and_grouped_cards_occur():
    values = Counter()
    for doc in DOCS:
        for kind, s, e in doc.labels:
            value = doc.text[s:e]
            values[kind, " " in value or "-" in value] += 1
            values[kind, value.endswith("x")] += 1
    assert values["cn_resident_id", True] and values["bank_card", True]
    ids = [doc.text[s:e] for doc in DOCS for k, s, e in doc.labels if k == "cn_resident_id"]
    assert any(value.endswith("x") for value in ids) and any(value.endswith("X") for value in ids)
