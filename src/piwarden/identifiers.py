"""Checks of identifier numbers: the one validator module of the project.

Account validation (``accounts.validators``), the catalog loader (a recipient's USCC) and PII
discovery (``discovery.detect``) all ask here, so a number is valid or not in the same way
everywhere. Pure functions on already-separated strings, without Django: discovery calls them
on every candidate of every text it scans, so each is a handful of string operations.
"""

import datetime
import re
from functools import cache

from phonenumbers import PhoneMetadata

# The first two digits of a mainland resident ID: a province-level division (GB/T 2260), and
# 71, 81, 82 for the residence permits of Taiwan, Hong Kong and Macao residents.
_PROVINCES = frozenset((
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83"))
_RIC_CHECK = "10X98765432"
_PASSPORT = re.compile(r"(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[GDS][0-9]{8}|[DSP]E[0-9]{7})")
_USCC_SHAPE = re.compile(r"[1-9ANY][1-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{8}[0-9X][0-9A-HJ-NPQRTUWXY]")
# GB 32100's 31 characters (no I, O, S, V, Z), each worth its position; its weights are 3^i mod
# 31. Each is written as the base-34 digit of its value (34 = 3 mod 31, see ``is_uscc``).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_AS_BASE_34 = str.maketrans(_USCC_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")
_LUHN_DOUBLE = str.maketrans("0123456789", "0246813579")


# --- PRC resident ID (GB 11643) ------------------------------------------------------------------

def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits (ASCII digits only).

    The weights are 2^17, 2^16, ..., 2^1 mod 11. Read in base 13, where 13 = 2 mod 11, the
    digits are worth the sum of each times 2^16, ..., 2^0 mod 11: ``int`` does the sum in C."""
    return _RIC_CHECK[int(first17, 13) * 2 % 11]


def resident_id_birth_date(number: str) -> datetime.date | None:
    """The birth date an 18-character ID encodes, or None when it is not a real date."""
    try:
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def resident_id_problem(number: str, today: datetime.date) -> str | None:
    """Why ``number`` (18 characters, upper case) is not a resident ID, or None when it is one.

    The codes are the account form's error codes: the shape, the check character, then a real
    birth date between 1900 and ``today``. The province is not checked here (a form accepts what
    the card says); ``is_resident_id`` adds it for text where a number may be anything.
    """
    if (len(number) != 18 or not number.isascii() or not number[:17].isdigit()
            or number[17] not in "0123456789X"):
        return "ID_NUMBER_INVALID"
    if resident_id_check_char(number[:17]) != number[17]:
        return "ID_CHECKSUM_INVALID"
    born = resident_id_birth_date(number)
    if born is None or born.year < 1900 or born > today:
        return "ID_BIRTH_DATE_INVALID"
    return None


def is_resident_id(number: str, today: datetime.date) -> bool:
    number = number.upper()
    return number[:2] in _PROVINCES and resident_id_problem(number, today) is None


# --- Organisations and travel documents ----------------------------------------------------------

def is_uscc(code: str) -> bool:
    """A Unified Social Credit Code (GB 32100): a registering authority (1-9, A, N, Y), a
    kind of organisation, a province-level region (10: a central body), the 9-character
    organisation code with its own check character right (GB 11714), and the code's check
    character right."""
    if not (_USCC_SHAPE.fullmatch(code) and (code[2:4] in _PROVINCES or code[2:4] == "10")):
        return False
    # The organisation code's weights are 2^8, ..., 2^1 mod 11 on characters worth 0-35 (its
    # letters are base-36 digits, none past Y): read in base 35, where 35 = 2 mod 11.
    if code[16] != "0123456789X0"[11 - int(code[8:16], 35) * 2 % 11]:
        return False
    # The code's weights are 3^0, ..., 3^16 mod 31 from the left: reversed, read in base 34.
    total = int(code[16::-1].translate(_USCC_AS_BASE_34), 34)
    return code[17] == _USCC_ALPHABET[-total % 31]


def is_prc_passport(number: str) -> bool:
    """The shape of a PRC passport number: ``E`` and 8 digits, ``E`` and a letter and 7 digits
    (e-passports), ``G`` and 8 digits (older ordinary passports), ``D``/``S``/``P`` (diplomatic,
    service, public affairs). Passports carry no check digit outside the machine-readable zone."""
    return bool(_PASSPORT.fullmatch(number))


# --- Payment cards -------------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    """The Luhn check: from the right, every second digit doubled (its digits summed)."""
    kept, doubled = digits[::-2].encode(), digits[-2::-2].translate(_LUHN_DOUBLE).encode()
    return (sum(kept) + sum(doubled) - 48 * len(digits)) % 10 == 0


def card_scheme(digits: str) -> str | None:
    """The card scheme the number's prefix and length belong to, or None: UnionPay (62, 16-19
    digits), Visa, Mastercard, American Express, JCB, Discover, Diners Club."""
    length = len(digits)
    head2, head4 = int(digits[:2]), int(digits[:4])
    if head2 == 62 and 16 <= length <= 19:
        return "unionpay"
    if digits[0] == "4" and length in (13, 16, 19):
        return "visa"
    if (51 <= head2 <= 55 or 2221 <= head4 <= 2720) and length == 16:
        return "mastercard"
    if head2 in (34, 37) and length == 15:
        return "amex"
    if 3528 <= head4 <= 3589 and 16 <= length <= 19:
        return "jcb"
    if (head4 == 6011 or head2 == 65) and 16 <= length <= 19:
        return "discover"
    if (head2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305) and 14 <= length <= 19:
        return "diners"
    return None


def is_card_number(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and card_scheme(digits) is not None and luhn_ok(digits)


# --- Telephone numbers (patterns from phonenumbers' metadata) ------------------------------------

@cache
def _pattern(region: str, kind: str) -> re.Pattern:
    metadata = PhoneMetadata.metadata_for_region(region)
    return re.compile(getattr(metadata, kind).national_number_pattern)


def is_cn_mobile(national: str) -> bool:
    """An 11-digit mainland mobile number on a prefix in service."""
    return len(national) == 11 and _pattern("CN", "mobile").fullmatch(national) is not None


def is_us_phone(national: str) -> bool:
    """A 10-digit NANP number of the United States: area and exchange codes do not start with 0
    or 1 and are not N11 service codes; the area code is one in service."""
    return (len(national) == 10 and national[3] not in "01" and national[4:6] != "11"
            and national[1:3] != "11"
            and _pattern("US", "general_desc").fullmatch(national) is not None)


def is_uk_phone(national: str) -> bool:
    """A UK number without its trunk 0 on a fixed-line or mobile range in use; Ofcom's mobile
    range reserved for drama and examples (07700 900000-900999) counts too."""
    return 9 <= len(national) <= 10 and (
        _pattern("GB", "fixed_line").fullmatch(national) is not None
        or _pattern("GB", "mobile").fullmatch(national) is not None
        or (len(national) == 10 and national.startswith("7700900")))


# --- US Social Security numbers ------------------------------------------------------------------

def is_us_ssn(digits: str) -> bool:
    """Nine digits whose area is not 000, 666 or 900-999, group not 00 and serial not 0000."""
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (len(digits) == 9 and digits.isdigit() and area not in ("000", "666")
            and area[0] != "9" and group != "00" and serial != "0000")
