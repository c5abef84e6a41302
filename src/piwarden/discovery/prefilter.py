"""Where in a text an identifier may be: one Hyperscan pass over it, one byte a character.

Most digits in real text are dates, times, amounts, versions and short numbers. Judging each
digit run in Python costs microseconds; Hyperscan runs every shape below at once, at memory
speed, and returns only the stretches of text that have the shape of some identifier.

- **Windows** (``WINDOWS``): digits with the separators people write inside numbers, bounded
  by non-digits. Each shape has one start for an end (a fixed number of digits, or a last
  group that is the whole run), so the leftmost start Hyperscan reports for an end is the
  only one: nothing shorter ending there is lost. Together they
  cover every window ``detect._classify`` can accept (``tests/discovery/test_prefilter.py``
  checks this on the generated corpus); each is a loose superset (no check digits, no number
  ranges), and ``detect`` judges it.
- **Places** (``PLACES``): a context word (bank account, SSN: the number after it can have any
  length; the Chinese words are found with ``re``, since the bytes scanned do not hold them)
  and letters glued to digits (passports, codes with letters); ``detect`` judges the digit
  run after such a place whole, and as an account.
- **IPv6**: ``::`` or six colons between hex groups; ``detect`` walks the colons from there.

Before that, a text that is not ASCII gets one ``re`` pass for the Chinese context words and
for full-width digits and letters: a text holding those comes back marked ``wide``, for
``detect`` to turn them into ASCII and ask again.
"""

import re
import threading
from typing import NamedTuple

import hyperscan

_D = rb"[^0-9]"  # the boundary: anything but a digit (a Chinese character is a "?")
_S = rb"(?:[ \-]|\)[ \-]?)"  # a separator inside a phone number


def _digits(count: int) -> bytes:
    """``count`` digits, each perhaps after a separator."""
    return rb"(?:%s?[0-9]){%d}" % (_S, count)


def _cards() -> list[bytes]:
    """Card numbers of 13 to 19 digits on a scheme's first digit (2-6): plain; in fours with a
    last group of any size (one shape per count of fours); 4-6-4 / 4-6-5 (American Express,
    Diners). The last group is the whole digit run before the window's end, so each shape
    still has one start for an end."""
    fours = [rb"[2-6][0-9]{3}" + rb"[ \-][0-9]{4}" * (count - 1)
             + rb"[ \-][0-9]{%d,%d}" % (max(1, 13 - 4 * count), 19 - 4 * count)
             for count in range(1, 5)]
    return [rb"[2-6][0-9]{12,18}", *fours, rb"[2-6][0-9]{3}[ \-][0-9]{6}[ \-][0-9]{4,5}"]


WINDOWS = (
    # IPv4 addresses and dotted phone numbers (3.3.4, 3.4.4).
    rb"[0-9]{1,3}(?:\.[0-9]{1,3}){3}",
    rb"[0-9]{3}\.[0-9]{3,4}\.[0-9]{4}",
    # Eighteen digits (resident IDs, USCCs, cards), the first six together, and 17 digits with
    # the check character X; resident IDs in fours.
    rb"[0-9]{6}(?:[ \-]?[0-9]){12}",
    rb"[0-9]{6}(?:[ \-]?[0-9]){11}[Xx]",
    rb"[0-9]{4}(?:[ \-][0-9]{4}){3}[ \-](?:[0-9]{2}|[0-9][Xx])",
    # Mainland mobiles, bare or after 86 / 0086.
    rb"1[3-9][0-9]" + _digits(8),
    rb"86" + _digits(11),
    rb"0086" + _digits(11),
    # US numbers 3-3-4 (a parenthesis after the area code), or with 1 in front.
    rb"[0-9]{3}%s[0-9]{3}%s[0-9]{4}" % (_S, _S),
    rb"1%s?[0-9]{3}%s?[0-9]{3}%s?[0-9]{4}" % (_S, _S, _S),
    # UK numbers after 44 / 0044, or a trunk 0, with 9 or 10 digits.
    rb"44" + _digits(9), rb"44" + _digits(10),
    rb"0044" + _digits(9), rb"0044" + _digits(10),
    rb"0" + _digits(9), rb"0" + _digits(10),
    # Cards of 13 to 19 digits; US SSNs 3-2-4.
    *_cards(),
    rb"[0-9]{3}[ \-][0-9]{2}[ \-][0-9]{4}",
)
# A USCC with at least one letter (one of digits only is a window): its first letter in the
# first two characters, or in the last ten.
_L = rb"[A-HJ-NPQRTUWXY]"
_C = rb"[0-9A-HJ-NPQRTUWXY]"
_USCC_WITH_LETTERS = rb"(?:(?:%s%s|[0-9]%s)[0-9]{6}%s{10}|[0-9]{8}(?:%s))" % (
    _L, _C, _L, _C, b"|".join(b"[0-9]" * k + _L + _C * (9 - k) for k in range(10)))
# Context words (bank account, SSN) and the first digit after them: the English ones in any
# case for Hyperscan, the Chinese ones (which the bytes scanned do not hold) with ``re``.
# ``detect`` looks for the same words before the number: after an account word, a digit run
# can be a bank account; after an SSN word, nine bare digits an SSN.
ACCOUNT_WORDS = ("账号", "帐号", "账户", "帐户", "卡号", "银行卡", "开户", "户号",
                 "account", "acct", "a/c", "bank", "iban")
SSN_WORDS = ("ssn", "social security", "社会安全号")
_WORDS = ACCOUNT_WORDS + SSN_WORDS
CONTEXT = b"(?:%s)[^0-9]{0,48}[0-9]" % b"|".join(
    re.escape(word).encode() for word in _WORDS if word.isascii())
_CHINESE_WORDS = tuple(word for word in _WORDS if not word.isascii())
# Full-width digits, letters, "@" and "+": ``detect`` turns them into ASCII before it scans.
WIDE = "".join(map(chr, (0xFF0B, *range(0xFF10, 0xFF1A), *range(0xFF20, 0xFF3B),
                         *range(0xFF41, 0xFF5B))))
# In a text that is not ASCII, one pass finds both those and the Chinese context words that a
# digit follows within 48 characters (the words are not consumed, so nothing after them is
# missed). Each alternative starts with a character of its own, which the regex engine skips to.
_NOT_ASCII = re.compile("|".join([*WIDE, *(f"{word}(?=[^0-9]{{0,48}}[0-9])"
                                          for word in _CHINESE_WORDS)]))
PLACES = (
    CONTEXT,  # any case
    # Passports, and USCCs with letters or a label glued in front.
    rb"[^A-Z0-9](?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[GDS][0-9]{8}|[DSP]E[0-9]{7})" + _D,
    _USCC_WITH_LETTERS + rb"[^0-9A-Z]",
)
IPV6 = rb"::|(?:[0-9A-Fa-f]{1,4}:){6}"
_EXPRESSIONS = (*(_D + window + _D for window in WINDOWS), *PLACES, IPV6)
# What each pattern's matches are: 0 a window, 1 a place, 2 an IPv6 shape.
_KIND = bytes([0] * len(WINDOWS) + [1] * len(PLACES) + [2])

_database = None
_local = threading.local()


def _compiled():
    global _database
    if _database is None:
        flags = [hyperscan.HS_FLAG_SOM_LEFTMOST] * len(_EXPRESSIONS)
        flags[_EXPRESSIONS.index(CONTEXT)] |= hyperscan.HS_FLAG_CASELESS
        database = hyperscan.Database()
        database.compile(expressions=list(_EXPRESSIONS), ids=list(range(len(_EXPRESSIONS))),
                         elements=len(_EXPRESSIONS), flags=flags)
        _database = database
    return _database


def _scratch(database):
    """Hyperscan's scratch space belongs to one thread at a time."""
    scratch = getattr(_local, "scratch", None)
    if scratch is None:
        scratch = _local.scratch = hyperscan.Scratch(database)
    return scratch


class Candidates(NamedTuple):
    """Character offsets in the text."""

    windows: list[tuple[int, int]]  # (start, -end) of each window: by start, longest first
    places: list[int]  # ascending: in a context word, at a glued token's first letter
    ipv6: list[int]  # ascending: inside the shape of an IPv6 address
    wide: bool  # the text holds full-width digits, letters, "@" or "+" (and nothing else is set)


def _collect(pattern, start, end, _flags, found):
    """Hyperscan's match handler: the match's start into its list in ``found``."""
    kind = _KIND[pattern]
    if kind == 0:
        found[0].append((start, 2 - end))  # (start, -end) of the window itself
    else:
        found[kind].append(start)


def candidates(text: str) -> Candidates:
    """Where in ``text`` identifiers may be (``Candidates``), from one Hyperscan pass."""
    words: list[int] = []
    if not text.isascii():
        for match in _NOT_ASCII.finditer(text):
            if match.end() - match.start() == 1:  # a full-width character
                return tuple.__new__(Candidates, ([], [], [], True))
            words.append(match.start())
    # One byte per character (what Latin-1 cannot write becomes "?", which no shape holds),
    # so Hyperscan's offsets are the text's own.
    data = text.encode("latin-1", "replace")
    windows: list[tuple[int, int]] = []
    places: list[int] = []
    ipv6: list[int] = []
    database = _compiled()
    # A space on each side gives the boundaries a character to match at the text's edges. It
    # shifts offsets by one: a window's match starts at the boundary before it, so its start
    # is the window's own start in ``data``, and its end is two past the window's.
    database.scan(b" " + data + b" ", match_event_handler=_collect,
                  context=(windows, places, ipv6), scratch=_scratch(database))
    # Hyperscan reports matches by where they end.
    windows.sort()
    places.sort()
    ipv6.sort()
    if words:
        places = sorted([*places, *words])
    if windows:
        windows = list(dict.fromkeys(windows))  # a window can have several shapes
    # tuple.__new__: a named tuple's own constructor is a Python function, twice as slow.
    return tuple.__new__(Candidates, (windows, places, ipv6, False))
