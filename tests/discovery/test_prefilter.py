"""The Hyperscan prefilter skips only runs that would not be found anyway."""

import pytest

from piwarden.discovery import corpus, detect, prefilter

pytestmark = pytest.mark.skipif(prefilter.hyperscan is None, reason="no Hyperscan wheel here")

EXTRA = [
    "1.13912345678 and 5.110101199003077571 and v2.13912345678",
    "账号 1-2 6214830100012345; account no. 5, 6214830100012345",
    "+1 (917) 512-4483, (+86) 139 1234 5678, 110101 1990 0307 7571",
    "USCC91350100M000100Y43 and 11010519491231002X号",
    "x1391234-5678-4abc-9def-123456789012 uuid",
    "地址2001:db8::8a2e:370:7334，时间12:30:45，fe80::1%eth0，1:2:3:4:5:6:7:8",
    "ACCOUNT NO. 6214830100012345, +44 (0)20 7946 0958, (0161) 496 0000, 1101 0119 9003 0775 71",
]


def test_i18_the_prefilter_changes_no_finding(monkeypatch):
    """On the generated corpus (near misses and glued text included) and on edge cases, scan
    finds exactly the same with the prefilter as when every digit run is judged."""
    texts = [doc.text for doc in corpus.generate(3000, seed=7)] + EXTRA
    with_prefilter = [detect.scan(text) for text in texts]
    monkeypatch.setattr(prefilter, "places", lambda text: None)
    without = [detect.scan(text) for text in texts]
    differ = [(text, a, b) for text, a, b in zip(texts, with_prefilter, without, strict=True)
              if a != b]
    assert not differ, differ[:3]


def test_i18_places_are_character_offsets_in_chinese_text():
    text = "请回电，身份证110101199003077571已上传"
    places = prefilter.places(text)
    assert places.numbers and all(0 <= place < len(text) for place in places.numbers)
    assert text.index("110101") - 1 in places.numbers and places.ipv6 is None
    assert 2 <= prefilter.places("来自2001:db8::1的请求").ipv6 <= 10
