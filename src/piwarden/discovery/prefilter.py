"""Where in a text an identifier may be: one Hyperscan pass over its UTF-8 bytes.

Most digits in real text are dates, times, amounts, versions and short numbers. Judging each
digit run in Python costs microseconds; Hyperscan runs every shape below at once, at memory
speed, and returns only the places where a run has the shape of some identifier. ``detect``
then judges just those runs, exactly as it would judge them without the prefilter.

Each pattern is a superset of what ``detect`` accepts for its types (looser shapes, no check
digits, separators anywhere), so the prefilter can only skip runs that would not be found
anyway; ``tests/discovery/test_prefilter.py`` checks that both ways give the same findings on
the generated corpus. Without Hyperscan (a platform with no wheel) ``places`` returns None
and every run is judged.

IPv6 addresses get their own shape: without one, ``detect`` does not walk the text's colons.
"""

import threading
from typing import NamedTuple

try:
    import hyperscan
except ImportError:  # pragma: no cover - the wheel exists for the platforms we run on
    hyperscan = None

_D = rb"[^0-9]"  # the boundary: anything but a digit (a CJK byte too)
_CONTEXT = ("(?:账号|帐号|账户|帐户|卡号|银行卡|开户|户号|account|acct|a/c|bank|iban|ssn"
            "|social security|社会安全号)[^0-9]{0,48}[0-9]").encode()
_PROVINCE = rb"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3])"
PATTERNS = (
    # Resident ID: a province, 2 more digits, then 13 digits and a check character, separators
    # anywhere after the first four.
    _D + _PROVINCE + rb"[0-9]{2}(?:[ \-]?[0-9]){13}[ \-]?[0-9Xx]" + _D,
    # Mainland mobile with an optional 86 / +86 / 0086 / (+86).
    _D + rb"(?:\(?\+?(?:86|0086)\)?[ \-]?)?1[3-9][0-9](?:[ .\-]?[0-9]){8}" + _D,
    # Cards: 13-19 digits on a scheme's first digits (UnionPay 62, Visa 4, Mastercard 2/5,
    # American Express, JCB and Diners 3, Discover 60/65), separators anywhere.
    _D + rb"(?:4|5[1-5]|2[2-7]|3[0-9]|6[025])[0-9]{2}(?:[ \-]?[0-9]){9,15}" + _D,
    # US SSN 3-2-4.
    _D + rb"[0-9]{3}[ \-][0-9]{2}[ \-][0-9]{4}" + _D,
    # US numbers, with +1 and parentheses; area and exchange codes start with 2-9.
    _D + rb"(?:\+?1[ .\-]?)?\(?[2-9][0-9]{2}\)?[ .\-]?[2-9][0-9]{2}[ .\-]?[0-9]{4}" + _D,
    # UK numbers: +44 or a trunk 0, then 9-10 digits.
    _D + rb"(?:\+44[ \-]?(?:\(0\) ?)?|0044[ \-]?|0)[0-9](?:[ \-]?[0-9]){8,9}" + _D,
    _D + rb"\(0[0-9]{2,4}\)[ \-]?[0-9](?:[ \-]?[0-9]){5,7}" + _D,
    # IPv4 and dotted phone numbers.
    _D + rb"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}" + _D,
    _D + rb"[0-9]{3}\.[0-9]{3,4}\.[0-9]{4}" + _D,
    # A context word (bank account, SSN) and the first digit after it, in any case.
    _CONTEXT,
    # Letters and digits: passports and USCCs (all digits, or with letters).
    rb"[^A-Z0-9](?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[GDS][0-9]{8}|[DSP]E[0-9]{7})" + _D,
    _D + rb"[1-9][1-9](?:10|" + _PROVINCE + rb")[0-9]{14}" + _D,
    rb"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}[^0-9A-Z]",
)
_CASELESS = PATTERNS.index(_CONTEXT)
# An IPv6 address has "::" or at least six colons between hex groups.
IPV6 = rb"::|(?:[0-9A-Fa-f]{1,4}:){6}"
_IPV6_ID = len(PATTERNS)

_database = None
_local = threading.local()


def _compiled():
    global _database
    if _database is None:
        expressions = [*PATTERNS, IPV6]
        flags = [hyperscan.HS_FLAG_SOM_LEFTMOST] * len(expressions)
        flags[_CASELESS] |= hyperscan.HS_FLAG_CASELESS
        database = hyperscan.Database()
        database.compile(expressions=expressions, ids=list(range(len(expressions))),
                         elements=len(expressions), flags=flags)
        _database = database
    return _database


def _scratch(database):
    """Hyperscan's scratch space belongs to one thread at a time."""
    scratch = getattr(_local, "scratch", None)
    if scratch is None:
        scratch = _local.scratch = hyperscan.Scratch(database)
    return scratch


class Places(NamedTuple):
    numbers: list[int]  # ascending character offsets at or just before each candidate number
    ipv6: int | None  # a character offset inside the first shape of an IPv6 address, if any


def _collect(pattern, start, _end, _flags, found):
    found[pattern == _IPV6_ID].append(start)


def places(text: str) -> Places | None:
    """Where candidates begin (the boundary character before a number, or its context word);
    None when Hyperscan is not installed."""
    if hyperscan is None:
        return None
    database = _compiled()
    data = text.encode("utf-8", "surrogatepass")
    found: tuple[list[int], list[int]] = ([], [])
    # A space on each side gives the boundary patterns a character to match at the edges;
    # it shifts each offset by one, which lands on the character before the candidate.
    database.scan(b" " + data + b" ", match_event_handler=_collect, context=found,
                  scratch=_scratch(database))
    numbers, ipv6 = found
    offsets = sorted({max(0, offset - 1) for offset in numbers})
    first_ipv6 = max(0, min(ipv6) - 1) if ipv6 else None
    if len(data) == len(text):  # ASCII: bytes are characters
        return Places(offsets, first_ipv6)
    chars = [len(data[:offset].decode("utf-8", "ignore")) for offset in offsets]
    if first_ipv6 is not None:
        first_ipv6 = len(data[:first_ipv6].decode("utf-8", "ignore"))
    return Places(chars, first_ipv6)
