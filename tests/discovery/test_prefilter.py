"""The Hyperscan pass offers every window the detector would accept, at character offsets."""

from piwarden.discovery import corpus, detect, prefilter

EXTRA = [
    "1.13912345678 and 5.110101199003077571 and v2.13912345678",
    "账号 1-2 6214830100012345; account no. 5, 6214830100012345",
    "+1 (917) 512-4483, (+86) 139 1234 5678, 110101 1990 0307 7571",
    "USCC91350100M000100Y43 and 11010519491231002X号",
    "x1391234-5678-4abc-9def-123456789012 uuid",
    "地址2001:db8::8a2e:370:7334，时间12:30:45，fe80::1%eth0，1:2:3:4:5:6:7:8",
    "ACCOUNT NO. 6214830100012345, +44 (0)20 7946 0958, (0161) 496 0000, 1101 0119 9003 0775 71",
    # A valid number right after a longer run that is not one: each shape has a fixed number
    # of digits, so the shorter window ending at the same place is offered too.
    "账单 4000 4111 1111 1111 1111 已付，1234 4111111111111111，40 4111111111111111，"
    "5555 4222222222222",
    "2024-05-12 13912345678, 86 139 1234 5678 0000, 0086-139-1234-5678",
]


def _all_windows(text: str):
    """Every window of whole groups of every digit run (as ``detect._RUN`` cuts them) with 8
    to 30 digits, or of four groups: what a detector judging all of them would look at."""
    for run in detect._RUN.finditer(text):
        groups = [(run.start() + g.start(), run.start() + g.end())
                  for g in detect._GROUP.finditer(run.group())]
        for first in range(len(groups)):
            digits = 0
            for last in range(first, len(groups)):
                digits += groups[last][1] - groups[last][0]
                if digits > 30:
                    break
                if digits >= 8 or last - first == 3:
                    yield groups[first][0], groups[last][1]


def _offered(text: str) -> set[tuple[int, int]]:
    candidates = prefilter.candidates(text)
    offered = {(start, -end) for start, end in candidates.windows}
    offered |= {(start, -end) for start, end in detect._place_windows(text, candidates.places)}
    return offered | {(start, end - 1) for start, end in offered if text[end - 1] in "Xx"}


def test_i18_every_window_the_detector_accepts_is_offered():
    """On the generated corpus (near misses and glued text included) and on edge cases, each
    window of whole groups that ``_window`` finds an identifier in is among the candidates."""
    texts = [doc.text for doc in corpus.generate(3000, seed=7)] + EXTRA
    missing = [(text, text[start:end]) for text in texts for start, end in _all_windows(text)
               if detect._window(text, start, end) is not None
               and (start, end) not in _offered(text)]
    assert not missing, missing[:5]


def test_i18_a_valid_number_after_a_longer_run_is_found():
    findings = detect.scan(EXTRA[7])
    assert [(f.type, EXTRA[7][f.start:f.end]) for f in findings] == [
        ("bank_card", "4111 1111 1111 1111"), ("bank_card", "4111111111111111"),
        ("bank_card", "4111111111111111"), ("bank_card", "4222222222222")]


def test_i18_offsets_are_character_offsets_in_chinese_text():
    text = "请回电，身份证110101199003077571已上传，账号：6222 0212 3456 7890 12"
    candidates = prefilter.candidates(text)
    start = text.index("110101")
    assert (start, -(start + 18)) in candidates.windows
    assert text.index("账号") in candidates.places
    ipv6 = prefilter.candidates("来自2001:db8::1的请求").ipv6
    assert ipv6 and all(2 <= place < 13 for place in ipv6)  # inside the address
