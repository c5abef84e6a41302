"""The detectors: one pass over a text finds every kind of identifier ``TYPES`` names.

Why not one big regular expression: a pattern per identifier, each with look-arounds for its
boundaries, makes the regex engine try every pattern at every character, which on mixed
Chinese and English text runs at a few thousand documents a second. Here the text is looked
at only where an identifier can be:

1. ``prefilter.candidates``: one Hyperscan pass over the text gives the windows that have the
   shape of some identifier (digits and the single separators people write inside numbers: a
   space, hyphen, dot or closing parenthesis), the places after a context word or where
   letters are glued to digits, and the IPv6 shapes. Dates, times, amounts, versions and
   order numbers have no identifier's shape and cost nothing more;
2. ``@`` and ``%40``: an e-mail address, its local part read leftwards;
3. the IPv6 shapes: their colons are walked;
4. the windows, by start and longest first, each judged by ``_classify`` and skipped when it
   overlaps one already found: ``+86 139 1234 5678`` is one mobile number, ``2024-05-12
   13912345678`` a date and a mobile number. After a place, the digit run there is judged
   whole, and as a bank account or an SSN.

Validators (``piwarden.identifiers``) run only on these candidates: check digits, real birth
dates, numbering ranges. Boundaries are "no digit (and no letter making one opaque token)
next to it", never ``\\b``, so a number glued to Chinese characters (``身份证110101…已上传``)
is found and a number inside a longer one, a hash or a version string is not.
"""

import datetime
import ipaddress
import operator
import re
import time
from typing import NamedTuple

from piwarden import identifiers
from piwarden.discovery import prefilter
from piwarden.redaction import REDACTED

TYPES = {
    "cn_resident_id": "user.id_info",
    "cn_passport": "user.id_info",
    "us_ssn": "user.id_info",
    "cn_mobile": "user.contact.phone",
    "us_phone": "user.contact.phone",
    "uk_phone": "user.contact.phone",
    "email": "user.contact.email",
    "bank_card": "user.financial.bank_account",
    "bank_account": "user.financial.bank_account",
    "ipv4": "user.log.ip_address",
    "ipv6": "user.log.ip_address",
    "cn_uscc": "business.registration",
}
_CHINA = datetime.timezone(datetime.timedelta(hours=8))


class Finding(NamedTuple):
    """One identifier in a text: ``text[start:end]`` (Python string indices, i.e. code points)."""

    type: str
    start: int
    end: int
    confidence: float
    category: str


def _finding(kind: str, start: int, end: int, confidence: float) -> Finding:
    # tuple.__new__: a named tuple's own constructor is a Python function, twice as slow.
    return tuple.__new__(Finding, (kind, start, end, confidence, TYPES[kind]))


# Digit runs with the separators written inside numbers, at most one between two groups; a
# lone group of fewer than 7 digits is no identifier and is not even matched.
_SEP = r"(?:[ .\-]|\)[ \-]?)"
_RUN = re.compile(rf"[0-9]{{7,}}(?:{_SEP}[0-9]+)*|[0-9]{{1,6}}(?:{_SEP}[0-9]+)+")
_GROUP = re.compile(r"[0-9]+")
_SPLIT = re.compile(r"([^0-9]+)")
_START = operator.itemgetter(1)  # a finding's start
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # 0-255, no leading zero
_OCTETS = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_EMAIL_LOCAL = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._%+-")
_EMAIL_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
                           r"(?![A-Za-z0-9-])")
_IPV6 = re.compile(r"[0-9A-Fa-f:]{2,39}(?:\.[0-9]{1,3}){0,3}")
_IPV6_STRETCH = re.compile(r"[0-9A-Fa-f:.]*")
# "logo@2x.png" is an image at twice the resolution, not an address.
_FILE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif",
                              "tiff", "avif", "js", "css", "map", "pdf", "html", "htm", "json",
                              "xml", "txt", "csv", "zip", "gz", "woff", "woff2", "ttf", "mp4"})
_SCALE = re.compile(r"[0-9]+(?:\.[0-9]+)?x\.", re.IGNORECASE)
# Full-width digits, letters, "@" and "+" (what a Chinese input method types in its full-width
# mode; ``prefilter.WIDE``), each mapped to its ASCII character, so offsets stay the same.
# Full-width punctuation (，：（）) keeps its meaning: it ends clauses and bounds numbers as it is.
_HALF_WIDTH = {ord(wide): ord(wide) - 0xFEE0 for wide in prefilter.WIDE}
_H = "[0-9A-Fa-f]{1,4}"
_IPV6_SHAPE = re.compile("|".join([
    f"(?:{_H}:){{7}}{_H}", f"(?:{_H}:){{1,7}}:", f":(?::{_H}){{1,7}}",
    *(f"(?:{_H}:){{1,{left}}}(?::{_H}){{1,{7 - left}}}" for left in range(1, 7))]))
_NOT_ZERO = str.maketrans("", "", "0:")
_HEX = frozenset("0123456789abcdefABCDEF")
_PLAIN_SEPS = frozenset({" ", "-"})
_NO_SEPS: frozenset[str] = frozenset()
_DOT = frozenset({"."})
_PHONE_SEPS = frozenset({" ", "-", ".", ")", ") ", ")-"})
_PAREN_SEPS = frozenset({")", ") ", ")-"})
_COUNTRY_BEFORE_PAREN = re.compile(r"\+(1|86|44)[ \-]?\Z")
# Words after which a bare digit run is an account number, a passport or an SSN; words after
# which a long digit run is an order, invoice or tracking number, not an account or a card.
# They are looked for in lower-cased text, which is faster than re.IGNORECASE.
_ACCOUNT_WORDS = re.compile("|".join(map(re.escape, prefilter.ACCOUNT_WORDS)))
_SSN_WORDS = re.compile("|".join(map(re.escape, prefilter.SSN_WORDS)))
_PASSPORT_WORDS = re.compile("护照|passport")
# Before a dotted quad: a version or a clause number, not an address. The short words stand
# alone (``\bv\b``), written with the boundary checked after the word so that every branch
# starts with a character the regex engine can skip to: ten times faster.
_VERSION_WORDS = re.compile("version|版本|build|android|windows|section|clause|§|" + "|".join(
    rf"{word}(?<!\w{word})\b" for word in ("ver", "v", "sdk", "oid", "ios")))
_CLAUSE_NUMBER = frozenset("第条款章节")  # right before it: 第5.4.1.2条, 条款6.3.1.2
_REFERENCE_WORDS = re.compile("订单|单号|运单|流水|发票|编号|批次|order|tracking|invoice|ref[.:]|"
                              "ref no|reference|ticket|imei")
# A context word counts only in the same clause as the number.
_CLAUSE_END = re.compile(r"[。；;！？!?\n，、]|\.\s+(?=[A-Z\u4e00-\u9fff])")


def scan(text: str) -> list[Finding]:
    """Every identifier in ``text``, sorted by start, none overlapping another; full-width
    digits and letters, "@" and "+" count as their ASCII forms, at the same offsets."""
    candidates = prefilter.candidates(text)
    if candidates.wide:
        text = text.translate(_HALF_WIDTH)
        candidates = prefilter.candidates(text)
    taken: list[Finding] = []
    if "@" in text or "%40" in text:
        _add_emails(text, taken)
    if candidates.ipv6:
        _add_ipv6(text, taken, candidates.ipv6)
    windows = candidates.windows  # (start, -end): by start, then longest first
    if candidates.places:
        windows = sorted({*windows, *_place_windows(text, candidates.places)})
    found = list(taken)
    last, length = 0, len(text)
    for start, end in windows:
        end = -end
        if text[end - 1] in "Xx":
            end -= 1  # a resident ID's check character: judged with its digits
        if start < last or (taken and _overlaps(taken, start, end)):
            continue
        hit = None
        if (start and text[start - 1] in _LETTERS) or (end < length and text[end] in _LETTERS):
            hit, skip_to = _token(text, start, end)
            if hit is None and skip_to > start:
                last = skip_to
                continue
        if hit is None:
            hit = _window(text, start, end)
        if hit is not None:
            found.append(hit)
            last = hit.end
    if taken:
        found.sort(key=_START)
    return found


def _window(text: str, start: int, end: int) -> Finding | None:
    """What the window ``text[start:end]`` (digits and the separators between them) is."""
    window = text[start:end]
    # A dot between this window and more digits makes it part of a version or a longer number.
    before = "." if start > 1 and text[start - 1] == "." and text[start - 2] in _DIGITS else ""
    after = ("." if end + 1 < len(text) and text[end] == "." and text[end + 1] in _DIGITS
             else "")
    if window.isdigit():
        return _classify(text, window, (end - start,), _NO_SEPS, start, end, before, after)
    parts = _SPLIT.split(window)  # digits, a separator, digits, ...
    groups = parts[::2]
    return _classify(text, "".join(groups), tuple(map(len, groups)), frozenset(parts[1::2]),
                     start, end, before, after)


def _place_windows(text: str, places: list[int]) -> list[tuple[int, int]]:
    """``(start, -end)`` of the windows of the digit run at or after each place (a context
    word, letters glued to digits) that the prefilter's fixed shapes do not give: the run
    itself (a token glued to letters is judged as one), and what can be a bank account or an
    SSN after a context word: a group of 9 to 30 digits, or groups of four and a last one."""
    windows: list[tuple[int, int]] = []
    end = 0
    for place in places:
        if place < end:
            continue
        match = _RUN.search(text, place)
        if match is None:
            break
        start = _run_start(text, match.start())
        if start != match.start():
            match = _RUN.match(text, start)
            if match is None:
                continue
        start, end = match.span()
        windows.append((start, -end))
        groups = [(start + group.start(), start + group.end())
                  for group in _GROUP.finditer(match.group())]
        for first, (window_start, _end) in enumerate(groups):
            digits = 0
            for group_start, group_end in groups[first:]:
                digits += group_end - group_start
                if digits > 30:
                    break
                if digits >= 9:
                    windows.append((window_start, -group_end))
                if group_end - group_start != 4:
                    break
    return windows


def _run_start(text: str, at: int) -> int:
    """Where the run holding ``text[at]`` begins, as ``_RUN.finditer`` would have cut it."""
    while at > 0:
        before = text[at - 1]
        if before in _DIGITS or (before in " .-)" and at > 1 and text[at - 2] in _DIGITS):
            at -= 1
        elif before in " -" and at > 2 and text[at - 2] == ")" and text[at - 3] in _DIGITS:
            at -= 2
        else:
            break
    return at


def redact(text: str, findings) -> str:
    """``text`` with each finding's span replaced by ``[REDACTED]``."""
    parts, last = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < last:
            continue
        parts.append(text[last:finding.start])
        parts.append(REDACTED)
        last = finding.end
    parts.append(text[last:])
    return "".join(parts)


def _overlaps(taken, start: int, end: int) -> bool:
    for finding in taken:  # noqa: SIM110 (compiled, any() would allocate a generator)
        if finding.start < end and start < finding.end:
            return True
    return False


# --- E-mail and IPv6 -----------------------------------------------------------------------------

def _add_emails(text: str, taken: list[Finding]) -> None:
    """Addresses around each ``@``, also written ``%40`` in a URL."""
    resume = 0
    for at, width in _signs(text):
        if at < resume:
            continue
        local = at
        while local > 0 and at - local < 64 and text[local - 1] in _EMAIL_LOCAL:
            local -= 1
        while local < at and text[local] in ".-+":
            local += 1
        domain = _EMAIL_DOMAIN.match(text, at + width)
        if (local < at and domain and text[at - 1] != "."
                and domain.group().rpartition(".")[2].lower() not in _FILE_EXTENSIONS
                and not _SCALE.match(domain.group())):
            taken.append(_finding("email", local, domain.end(), 0.99))
            resume = domain.end()


def _signs(text: str) -> list[tuple[int, int]]:
    """Where each "@" or "%40" is, and its width, in order (``str.find`` is faster than a
    regular expression with two first characters)."""
    signs = []
    for sign in ("@", "%40"):
        at = text.find(sign)
        while at != -1:
            signs.append((at, len(sign)))
            at = text.find(sign, at + 1)
    signs.sort()
    return signs


def _add_ipv6(text: str, taken: list[Finding], places: list[int]) -> None:
    """Addresses at the places the prefilter marked (inside a ``::`` or six colons), each
    walked colon by colon within its stretch of hex digits, colons and dots."""
    length = len(text)
    resume = 0
    for begin in places:
        if begin < resume:
            continue
        while begin > 0 and (text[begin - 1] in _HEX or text[begin - 1] == ":"):
            begin -= 1  # the prefilter points into the address: back to its start
        stop = _IPV6_STRETCH.match(text, begin).end()
        colon = text.find(":", begin, stop)
        while colon != -1:
            left = colon
            while left > 0 and colon - left < 4 and text[left - 1] in _HEX:
                left -= 1
            match = _IPV6.match(text, left)
            end = match.end() if match else left
            candidate = text[left:end]
            if (candidate.count(":") >= 2 and (left == 0 or text[left - 1] not in _ALNUM)
                    and text[left - 1:left] not in (":", ".")
                    and not _overlaps(taken, left, end)):
                while candidate.endswith(":") and not candidate.endswith("::"):
                    candidate, end = candidate[:-1], end - 1
                if (end >= length or text[end] not in _ALNUM) and _is_ipv6(candidate):
                    taken.append(_finding("ipv6", left, end, 0.9))
                    resume = end
                    colon = text.find(":", end, stop)
                    continue
            colon = text.find(":", max(end, colon + 1), stop)


def _is_ipv6(candidate: str) -> bool:
    """A unicast address; ``::`` (unspecified) and ``::1`` (loopback) name no one."""
    colons = candidate.count(":")
    if "::" not in candidate and colons != 7 and not (colons == 6 and "." in candidate):
        return False  # the shape of a time (12:30:45) or a MAC address
    if "." not in candidate and candidate.translate(_NOT_ZERO) not in ("", "1"):
        # Only an address of zeros and a final 1 can be the unspecified or loopback one;
        # ipaddress, which is exact, is ten times slower than this shape.
        return _IPV6_SHAPE.fullmatch(candidate) is not None
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


# --- Tokens glued to letters: USCC, passports, opaque hashes -------------------------------------

def _token(text: str, start: int, end: int):
    """Judge a digit run glued to ASCII letters as one token.

    Returns ``(finding or None, skip_to)``: a USCC or passport found, or a token the run is
    only part of (a hash, a product code) whose digits are no identifier (``skip_to`` past it),
    or ``(None, start)`` to judge the digits anyway (``TEL13912345678``).
    """
    length = len(text)
    left_letter = start > 0 and text[start - 1] in _LETTERS
    right_letter = end < length and text[end] in _LETTERS
    tok_start, tok_end = start, end
    while tok_start > 0 and text[tok_start - 1] in _ALNUM:
        tok_start -= 1
    while tok_end < length and text[tok_end] in _ALNUM:
        tok_end += 1
    token = text[tok_start:tok_end]
    if text[tok_end:tok_end + 1] == "-" or text[tok_start - 1:tok_start] == "-":
        uuid = _UUID.search(text, max(0, tok_start - 28), tok_end + 28)
        if uuid is not None and uuid.start() <= start and end <= uuid.end():
            return None, uuid.end()
    if token[-1] in "Xx" and token[:-1].isdigit():
        return None, start  # a resident ID's check character, judged with its digits
    if len(token) == 18 and identifiers.is_uscc(token):
        return _finding("cn_uscc", tok_start, tok_end, 0.97), tok_end
    if tok_end - tok_start >= 18:
        # The USCC may carry a label glued in front ("代码91350100M000100Y43" has none, but
        # "USCC91350100M000100Y43" has): its last 18 characters.
        tail = text[tok_end - 18:tok_end]
        if tail[0].isdigit() and identifiers.is_uscc(tail) and tok_end - 18 >= start - 2:
            return _finding("cn_uscc", tok_end - 18, tok_end, 0.95), tok_end
    around = text[tok_start:start] + text[end:tok_end]  # letters and digits only
    digits_elsewhere = bool(around) and not around.isalpha()
    if left_letter and not right_letter and not digits_elsewhere:
        passport = _passport(text, start, end)
        if passport is not None:
            return passport, end
        return None, start
    if right_letter and not left_letter and not digits_elsewhere:
        # "110101199003077578" never has letters after it but the check character X; letters
        # glued after a phone number ("13912345678联系" is not this case) are a unit or a label.
        return None, start
    return None, tok_end


def _passport(text: str, start: int, end: int) -> Finding | None:
    digits = end - start
    if digits not in (7, 8) or "-" in text[start:end] or " " in text[start:end]:
        return None
    for letters in (2, 1):
        first = start - letters
        if first < 0:
            continue
        prefix = text[first:start]  # capital letters A-Z only
        if not (prefix.isascii() and prefix.isalpha() and prefix.isupper()):
            continue
        if first > 0 and text[first - 1] in _UPPER:
            continue
        if identifiers.is_prc_passport(text[first:end]):
            if _context(text, first, _PASSPORT_WORDS):
                return _finding("cn_passport", first, end, 0.95)
            if not _reference(text, first):  # 订单E12345678 is an order number
                return _finding("cn_passport", first, end, 0.7)
            return None
    return None


# --- Digit runs ----------------------------------------------------------------------------------

def _classify(text, digits, sizes, seps, start, end, sep_before, sep_after):
    """The identifier that ``digits`` (written in groups of ``sizes`` joined by ``seps``, at
    ``text[start:end]``) is, if any; the checks in order of how specific they are."""
    n = len(digits)
    if "." in seps:
        if seps == _DOT:
            if len(sizes) == 4:
                return _ipv4(text, start, end, sep_before, sep_after)
            if sizes == (3, 4, 4) and identifiers.is_cn_mobile(digits):
                return _finding("cn_mobile", start, end, 0.85)
            if sizes == (3, 3, 4) and identifiers.is_us_phone(digits):
                return _finding("us_phone", start, end, 0.8)
        return None
    if n < 8 or sep_before == "." or sep_after == ".":
        return None
    plain = seps <= _PLAIN_SEPS
    if plain and (n == 18 or (n == 17 and text[end:end + 1] in ("X", "x"))):
        number = digits if n == 18 else digits + "X"
        if ((sizes[0] >= 6 or sizes[:-1].count(4) == len(sizes) - 1)
                and not _continues(text, end + 18 - n)
                and identifiers.is_resident_id(number, _today_in_china())):
            return _finding("cn_resident_id", start, end + 18 - n, 0.99)
    plus = start > 0 and text[start - 1] == "+"
    if 10 <= n <= 15:
        phone = _phone(text, digits, sizes, seps, start, end, plus)
        if phone is not None:
            return phone
    if not plain:
        return None
    grouped_by_4 = len(sizes) == 1 or sizes[:-1].count(4) == len(sizes) - 1
    if (13 <= n <= 19 and (grouped_by_4 or sizes in ((4, 6, 5), (4, 6, 4)))
            and identifiers.is_card_number(digits)
            and not _reference(text, start)):
        return _finding("bank_card", start, end, 0.95)
    if n == 9 and identifiers.is_us_ssn(digits):
        if sizes == (3, 2, 4) and len(seps) == 1:
            return _finding("us_ssn", start, end, 0.9)
        if len(sizes) == 1 and _context(text, start, _SSN_WORDS):
            return _finding("us_ssn", start, end, 0.85)
    if n == 18 and len(sizes) == 1 and identifiers.is_uscc(digits):
        return _finding("cn_uscc", start, end, 0.9)
    if (10 <= n <= 30 and not plus and grouped_by_4 and _context(text, start, _ACCOUNT_WORDS)
            and not _reference(text, start)):
        return _finding("bank_account", start, end, 0.75)
    return None


def _phone(text, digits, sizes, seps, start, end, plus) -> Finding | None:
    """A mainland mobile, US or UK number, with its country code when written."""
    if not seps <= _PHONE_SEPS:
        return None
    n = len(digits)
    paren = bool(seps & _PAREN_SEPS)
    span_start = start - 1 if plus else start
    if span_start > 0 and text[span_start - 1] == "(" and (paren or plus):
        span_start -= 1
    if paren and text[span_start] != "(":
        return None
    if paren and not plus:
        # "+1 (917) 512-4483": the country code before the parenthesis belongs to the number.
        code = _COUNTRY_BEFORE_PAREN.search(text, max(0, span_start - 4), span_start)
        if code is not None:
            span_start, plus = code.start(), True
            digits, sizes = code.group(1) + digits, (len(code.group(1)), *sizes)
            n = len(digits)
    # Mainland mobile: 11 digits, after 86 / +86 / 0086 when written.
    national, cc = digits, ""
    if n == 13 and digits.startswith("86") and (plus or sizes[0] in (2, 13)):
        national, cc = digits[2:], "86"
    elif n == 15 and digits.startswith("0086") and sizes[0] in (4, 15):
        national, cc = digits[4:], "0086"
    if len(national) == 11 and national[0] == "1" and not (plus and not cc):
        national_sizes = sizes[1:] if cc and len(sizes) > 1 else sizes
        if (national_sizes[0] >= 3 and (not paren or cc)
                and identifiers.is_cn_mobile(national)):
            return _finding("cn_mobile", span_start, end, 0.95 if cc or len(sizes) > 1 else 0.9)
    # United States: 10 digits, 3-3-4, or with 1 / +1 in front.
    if n == 11 and digits[0] == "1" and (plus or sizes[0] == 1):
        us = digits[1:]
        us_sizes = sizes[1:] if sizes[0] == 1 else ()
    else:
        us, us_sizes = digits, sizes
    if len(us) == 10 and us_sizes in ((3, 3, 4), ()) and (us_sizes or plus) and (
            identifiers.is_us_phone(us)):
        return _finding("us_phone", span_start, end, 0.85)
    # United Kingdom: +44 or 0044 and 9-10 digits, a trunk 0 and groups, or a mobile's 11 digits.
    if digits.startswith("44") and plus:
        uk = digits[2:]
        if paren and uk[0] == "0" and sizes[1] == 1:
            uk = uk[1:]  # "+44 (0)20 7946 0958": the trunk 0 in parentheses
    elif digits.startswith("0044") and sizes[0] in (4, n):
        uk = digits[4:]
    elif (digits[0] == "0" and len(sizes) > 1 and 3 <= sizes[0] <= 5
          and (not paren or text[start + sizes[0]] == ")")) or (
            sizes == (11,) and digits.startswith("07")):
        uk = digits[1:]  # "020 7946 0958", "(020) 7946 0958", "07912345678"
    else:
        return None
    if identifiers.is_uk_phone(uk):
        return _finding("uk_phone", span_start, end, 0.85)
    return None


def _ipv4(text, start, end, sep_before, sep_after) -> Finding | None:
    address = text[start:end]
    if ("." in (sep_before, sep_after) or not _OCTETS.fullmatch(address)
            or address.startswith(("0.", "127.")) or address == "255.255.255.255"):
        return None  # unspecified, loopback, broadcast: the machine itself, no one's address
    before = text[start - 1] if start else ""
    # "Chrome/124.0.0.0" is a version; "http://203.0.113.7/" an address.
    after_name = before == "/" and start > 1 and text[start - 2] in _ALNUM
    if (before in _LETTERS or before == "_" or after_name
            or not _CLAUSE_NUMBER.isdisjoint(text[max(0, start - 2):start])
            or _context(text, start, _VERSION_WORDS, 9)):
        return None
    if end < len(text) and text[end] in _ALNUM:
        return None
    return _finding("ipv4", start, end, 0.85)


_day: tuple[datetime.date, float] = (datetime.date.min, 0.0)  # today, and when it ends


def _today_in_china() -> datetime.date:
    """Today's date in China (a birth date after it is impossible), worked out once a day."""
    global _day
    if time.time() >= _day[1]:
        today = datetime.datetime.now(_CHINA).date()
        midnight = datetime.datetime.combine(today + datetime.timedelta(days=1),
                                             datetime.time(), _CHINA)
        _day = (today, midnight.timestamp())
    return _day[0]


def _continues(text: str, end: int) -> bool:
    """A letter or digit right after a number makes it part of a longer token."""
    return end < len(text) and text[end] in _ALNUM


def _clause(before: str) -> str:
    """The last clause of ``before``."""
    ends = list(_CLAUSE_END.finditer(before))
    return before[ends[-1].end():] if ends else before


def _context(text: str, start: int, words: re.Pattern, reach: int = 16) -> bool:
    """One of ``words`` in the clause before ``start`` (at most ``reach`` characters back)."""
    before = text[max(0, start - reach):start]
    if words.search(before.lower()) is None:
        return False
    return words.search(_clause(before).lower()) is not None


def _reference(text: str, start: int) -> bool:
    """An order, invoice or tracking word is the nearest context word before the number: it is
    that reference, unless a card or account word comes after it (``订单已付，卡号…``)."""
    before = text[max(0, start - 16):start]
    if _REFERENCE_WORDS.search(before.lower()) is None:
        return False
    clause = _clause(before).lower()
    references = [m.end() for m in _REFERENCE_WORDS.finditer(clause)]
    if not references:
        return False
    accounts = [m.end() for m in _ACCOUNT_WORDS.finditer(clause)]
    return not accounts or references[-1] > accounts[-1]
