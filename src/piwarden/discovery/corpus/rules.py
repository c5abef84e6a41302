"""The identifiers' published check rules, and the oracle that keeps the corpus honest.

The check characters follow GB 11643, GB 11714, GB 32100 and Luhn, not the detector's code.
``other_type`` makes the generators redraw a value that is also valid as another type, and
``stray`` rejects a document holding a rule-valid value that no label covers, so the labels
are the whole truth about a document.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date

# ---------------------------------------------------------------- check algorithms

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def id_check(body17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of a resident ID."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def luhn_ok(digits: str) -> bool:
    total = 0
    for n, c in enumerate(reversed(digits)):
        d = int(c) * (2 if n % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def luhn_complete(body: str) -> str:
    return next(body + c for c in "0123456789" if luhn_ok(body + c))


def org_check(body8: str) -> str:
    """GB 11714 check character of the organisation code inside a USCC."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def uscc_check(body17: str) -> str:
    """GB 32100 check character (18th) of a Unified Social Credit Code."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


# ------------------------------------------------------- rule checks for the oracle

_CARD_PREFIX = re.compile(r"4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|35(?:2[89]|[3-8])|62"
                          r"|6011|65|64[4-9]|3(?:0[0-5]|[68])")


def _id_ok(value: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dXx]", value) or value[:2] not in _PROVINCES:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return (date(1900, 1, 1) <= born <= date(2026, 1, 1)
            and id_check(value[:17]) == value[17].upper())


_PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35",
              "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54",
              "61", "62", "63", "64", "65", "71", "81", "82", "83", "91"}


# The PRC mobile prefixes the values are drawn from; the number plan allocates a few more.
MOBILE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145",
                   "147", "150", "151", "152", "153", "155", "156", "157", "158", "159", "162",
                   "165", "166", "167", "170", "171", "172", "173", "175", "176", "177", "178",
                   "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "190",
                   "191", "192", "193", "195", "196", "197", "198", "199"]
_ANY_MOBILE_PREFIX = {*MOBILE_PREFIXES, "140", "141", "146", "148", "149", "154", "174", "163",
                      "164"}


def _mobile_ok(digits: str) -> bool:
    return len(digits) == 11 and digits[:3] in _ANY_MOBILE_PREFIX


def _card_ok(digits: str) -> bool:
    return (13 <= len(digits) <= 19 and digits.isdigit() and luhn_ok(digits)
            and bool(_CARD_PREFIX.match(digits)))


def _uscc_ok(value: str) -> bool:
    return (len(value) == 18 and all(c in _USCC_ALPHABET for c in value)
            and org_check(value[8:16]) == value[16] and uscc_check(value[:17]) == value[17])


def other_type(kind: str, value: str) -> bool:
    """Whether a generated value is also valid as another type (then it is redrawn)."""
    checks = {"cn_resident_id": _id_ok, "cn_mobile": _mobile_ok, "bank_card": _card_ok,
              "cn_uscc": _uscc_ok}
    return any(check(value) for name, check in checks.items() if name != kind)


_STRAY = (
    ("digits", re.compile(r"(?<![0-9])\d{10,22}[Xx]?(?![0-9])", re.ASCII)),
    ("grouped", re.compile(r"(?<![0-9])\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?(?![0-9])",
                           re.ASCII)),
    ("ipv4", re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)", re.ASCII)),
    ("ssn", re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])", re.ASCII)),
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)),
    ("passport", re.compile(r"(?<![A-Za-z0-9])E(?:\d{8}|[A-HJ-NP-Z]\d{7})(?![A-Za-z0-9])",
                            re.ASCII)),
    ("ipv6", re.compile(r"[0-9A-Za-z:.]*::?[0-9A-Za-z:.]*", re.ASCII)),
    ("uscc", re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUWXY]{18}(?![0-9A-Z])", re.ASCII)),
    ("phone", re.compile(r"\(\d{3}\) \d{3}-\d{4}|(?<![\d-])\d{3}-\d{3}-\d{4}(?![\d-])", re.ASCII)),
)


def _valid_stray(kind: str, value: str) -> bool:
    if kind == "digits":
        return _id_ok(value) or _mobile_ok(value) or _card_ok(value) or _uscc_ok(value)
    if kind == "grouped":
        return _card_ok(re.sub(r"\D", "", value))
    if kind == "ipv4":
        return all(int(part) < 256 for part in value.split("."))
    if kind == "ssn":
        area, group, serial = value.split("-")
        return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
    if kind == "ipv6":
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return False
        return True
    if kind == "uscc":
        return _uscc_ok(value)
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        return digits[0] in "23456789" and digits[3] in "23456789"
    return True  # an e-mail address or a passport number


def stray(text: str, labels: list[tuple[str, int, int]], decoys: list) -> bool:
    """Whether the text holds a rule-valid value that no label covers (outside planted decoys,
    whose spans are deliberate near misses such as ``Chrome/124.0.0.0``)."""
    covered = [(s, e) for _, s, e in labels] + [(s, e) for k, s, e in decoys if k == "version"]
    for kind, pattern in _STRAY:
        for m in pattern.finditer(text):
            if any(s <= m.start() and m.end() <= e for s, e in covered):
                continue
            if _valid_stray(kind, m.group()):
                return True
    return False
