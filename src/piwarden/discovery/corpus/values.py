"""Generators of valid identifiers and of their near misses (decoys).

Each generator draws from the one ``random.Random`` it is given, so the corpus is reproducible
from its seed; the order of the draws is part of the corpus.
"""

from __future__ import annotations

import ipaddress
import random
from datetime import date, timedelta
from typing import NamedTuple

from piwarden.discovery.corpus.rules import (
    MOBILE_PREFIXES,
    id_check,
    luhn_complete,
    luhn_ok,
    org_check,
    other_type,
    uscc_check,
)


class P(NamedTuple):
    """A labelled value inside a template."""

    type: str
    text: str


class D(NamedTuple):
    """A near miss inside a template: must not be found."""

    kind: str
    text: str


# ------------------------------------------------------------------- identifiers

_REGIONS = ["110101", "110105", "110108", "120101", "130102", "140105", "150102", "210102",
            "220102", "230102", "310101", "310104", "310115", "320102", "320106", "330102",
            "330106", "340102", "350102", "350203", "360102", "370102", "370202", "410105",
            "420106", "430104", "440103", "440305", "440106", "450103", "460105", "500103",
            "510104", "510107", "520102", "530102", "540102", "610113", "620102", "630102",
            "640104", "650102"]
_CARD_BINS = (("622202", 19), ("621226", 19), ("621700", 19), ("622848", 19), ("621483", 16),
              ("622588", 16), ("623668", 19), ("625800", 16), ("620522", 18), ("4", 16),
              ("4", 16), ("51", 16), ("53", 16), ("55", 16), ("2221", 16), ("2720", 16),
              ("34", 15), ("37", 15), ("3528", 16), ("3589", 16))
_US_AREAS = ["201", "202", "206", "212", "213", "214", "305", "310", "312", "404", "408", "415",
             "503", "512", "602", "617", "646", "650", "702", "713", "718", "773", "805", "818",
             "858", "917", "919", "929"]
_UK_GEO = (("20", 8), ("161", 7), ("121", 7), ("113", 7), ("131", 7), ("117", 7), ("141", 7))
_UK_MOBILE = ["7765", "7830", "7123", "7400", "7534", "7720", "7812", "7956", "7385", "7480"]


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _birth(rng: random.Random) -> date:
    return date(1930, 1, 1) + timedelta(days=rng.randrange((date(2020, 12, 31) -
                                                              date(1930, 1, 1)).days))


def _id_body(rng: random.Random) -> str:
    return rng.choice(_REGIONS) + _birth(rng).strftime("%Y%m%d") + digits(rng, 3)


def resident_id(rng: random.Random) -> str:
    while True:
        body = _id_body(rng)
        value = body + id_check(body)
        if not other_type("cn_resident_id", value):
            break
    if value.endswith("X") and rng.random() < 0.3:
        value = value[:-1] + "x"
    if rng.random() < 0.15:
        value = f"{value[:6]} {value[6:14]} {value[14:]}"
    return value


def id_digits(rng: random.Random) -> str:
    """A valid resident ID without the check character X."""
    while (value := _id_body(rng)) and id_check(value) == "X":
        pass
    return value + id_check(value)


def mobile_digits(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + digits(rng, 8)


def mobile(rng: random.Random) -> str:
    m = mobile_digits(rng)
    spaced, dashed = f"{m[:3]} {m[3:7]} {m[7:]}", f"{m[:3]}-{m[3:7]}-{m[7:]}"
    return rng.choice([m, m, m, m, dashed, spaced, f"+86 {m}", f"+86-{dashed}", f"+86{m}",
                       f"0086 {m}", f"(+86){m}", f"86-{m}", f"+86 {spaced}"])


def _card_digits(rng: random.Random) -> str:
    while True:
        prefix, length = rng.choice(_CARD_BINS)
        value = luhn_complete(prefix + digits(rng, length - len(prefix) - 1))
        if not other_type("bank_card", value):
            return value


def card(rng: random.Random) -> str:
    d = _card_digits(rng)
    roll = rng.random()
    if len(d) == 15 and roll < 0.5:
        return f"{d[:4]} {d[4:10]} {d[10:]}"
    if roll < 0.35:
        return " ".join(d[i:i + 4] for i in range(0, len(d), 4))
    if roll < 0.45:
        return "-".join(d[i:i + 4] for i in range(0, len(d), 4))
    return d


def _uscc_body(rng: random.Random) -> str:
    head = rng.choice(["91", "91", "91", "92", "93", "11", "12", "52", "51"])
    org_alphabet = "0123456789" * 3 + "ABCDEFGHJKLMNPQRTUWXY"
    org = "".join(rng.choice(org_alphabet) for _ in range(8))
    return head + rng.choice(_REGIONS)[:4] + rng.choice(["00", "00", "01", "02", "05"]) + org


def uscc(rng: random.Random) -> str:
    while True:
        body = _uscc_body(rng)
        body += org_check(body[8:16])
        value = body + uscc_check(body)
        if not other_type("cn_uscc", value):
            return value


def passport(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return "E" + digits(rng, 8)
    return "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + digits(rng, 7)


_GIVEN = ["zhang.san", "li.si", "wang.wu", "chen.jing", "liu.yang", "zhao.lei", "sun.li",
          "zhou.min", "wu.fang", "xu.tao", "j.smith", "mary.jones", "tom.brown", "a.wilson",
          "emma.taylor", "oliver.davies"]
_DOMAINS = ["example.com", "example.cn", "example.org", "mail.example.com", "corp.example.com.cn",
            "163.com", "qq.com", "gmail.com", "outlook.com", "company.com.cn"]


def email(rng: random.Random) -> str:
    local = rng.choice(_GIVEN)
    roll = rng.random()
    if roll < 0.2:
        local = local.replace(".", "_") + str(rng.randint(1, 99))
    elif roll < 0.28:
        local += "+" + rng.choice(["crm", "news", "shop"])
    elif roll < 0.33:
        local = mobile_digits(rng)  # a mobile number as the local part: one e-mail, no phone
    elif roll < 0.38:
        local = str(rng.randint(10000, 999999999))  # a QQ number
    return f"{local}@{rng.choice(_DOMAINS)}"


def ipv4(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.2:
        octets = [10, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)]
    elif roll < 0.3:
        octets = [172, rng.randint(16, 31), rng.randint(0, 255), rng.randint(1, 254)]
    elif roll < 0.45:
        octets = [192, 168, rng.randint(0, 255), rng.randint(1, 254)]
    elif roll < 0.55:
        octets = [*rng.choice([(203, 0, 113), (198, 51, 100), (192, 0, 2)]), rng.randint(1, 254)]
    else:
        first = rng.choice([1, 8, 14, 36, 39, 42, 58, 59, 60, 61, 101, 106, 111, 112, 113, 114,
                            116, 117, 119, 120, 121, 122, 123, 124, 125, 180, 182, 183, 202, 210,
                            211, 218, 219, 220, 221, 222, 223])
        octets = [first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)]
    return ".".join(map(str, octets))


def ipv6(rng: random.Random) -> str:
    prefix = rng.choice([0x20010DB8, 0x24088207, 0x240E0389, 0x2409_8A1E, 0xFE800000])
    groups = [prefix >> 16, prefix & 0xFFFF] + [rng.randrange(0x10000) for _ in range(6)]
    if prefix == 0xFE800000:
        groups[2:4] = [0, 0]
    elif rng.random() < 0.7:
        start = rng.randint(2, 5)
        groups[start:start + rng.randint(2, 3)] = [0] * 3
        groups = groups[:8]
    address = ipaddress.IPv6Address(sum(g << (16 * (7 - n)) for n, g in enumerate(groups)))
    text = address.exploded if rng.random() < 0.25 else address.compressed
    return text.upper() if rng.random() < 0.1 else text


def ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _nanp(rng: random.Random) -> tuple[str, str, str]:
    exchange = rng.randint(200, 999)
    while exchange % 100 == 11 or exchange == 555:
        exchange = rng.randint(200, 999)
    return rng.choice(_US_AREAS), str(exchange), digits(rng, 4)


def us_phone(rng: random.Random) -> str:
    a, x, s = _nanp(rng)
    return rng.choice([f"({a}) {x}-{s}", f"{a}-{x}-{s}", f"+1 {a} {x} {s}",
                       f"+1 ({a}) {x}-{s}", f"+1-{a}-{x}-{s}"])


def uk_phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        mob = rng.choice(_UK_MOBILE) + digits(rng, 6)
        return rng.choice([f"0{mob[:4]} {mob[4:]}", f"+44 {mob[:4]} {mob[4:]}"])
    area, _ = rng.choice(_UK_GEO)
    local = (rng.choice("378") + digits(rng, 7)) if area == "20" else "4" + digits(rng, 6)
    split = 4 if len(local) == 8 else 3
    number = f"{area} {local[:split]} {local[split:]}"
    return rng.choice([f"0{number}", f"+44 {number}"])


def bank_account(rng: random.Random) -> str:
    while True:
        value = rng.choice("123456789") + digits(rng, rng.randint(9, 21))
        if luhn_ok(value):
            value = value[:-1] + str((int(value[-1]) + 1) % 10)
        if not other_type("bank_account", value):
            return value


VALUES = {"cn_resident_id": resident_id, "cn_mobile": mobile, "bank_card": card,
          "cn_uscc": uscc, "cn_passport": passport, "email": email, "ipv4": ipv4,
          "ipv6": ipv6, "us_ssn": ssn, "us_phone": us_phone, "uk_phone": uk_phone,
          "bank_account": bank_account}


# ---------------------------------------------------------------------- decoys


def bad_id(rng: random.Random) -> D:
    body = _id_body(rng)
    kind = rng.choice(["check", "check", "month", "feb30", "future", "17", "19", "region"])
    if kind == "check":
        good = id_check(body)
        return D("id_check", body + rng.choice([c for c in "0123456789X" if c != good]))
    if kind == "month":
        body = body[:10] + "13" + body[12:]
    elif kind == "feb30":
        body = body[:10] + "0230" + body[14:]
    elif kind == "future":
        body = body[:6] + str(rng.randint(2031, 2099)) + body[10:]
    elif kind == "region":
        body = rng.choice(["00", "99", "80"]) + body[2:]
    elif kind == "17":
        return D("id_17_digits", body)
    value = body + id_check(body)
    return D(f"id_{kind}", value + digits(rng, 1) if kind == "19" else value)


def bad_mobile(rng: random.Random) -> D:
    good = mobile_digits(rng)
    return rng.choice([D("mobile_10_digits", good[:10]), D("mobile_12_digits", good + "0"),
                       D("mobile_prefix", rng.choice(["10", "11", "12"]) + good[2:])])


def bad_card(rng: random.Random) -> D:
    good = _card_digits(rng)
    return D("card_luhn", good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10))


def bad_uscc(rng: random.Random) -> D:
    body = _uscc_body(rng)
    if rng.random() < 0.5:
        body += org_check(body[8:16])
        good = uscc_check(body)
        return D("uscc_check", body + rng.choice([c for c in "0123456789ABCDEFGH" if c != good]))
    right = org_check(body[8:16])
    body += rng.choice([c for c in "0123456789X" if c != right])
    return D("uscc_org_check", body + uscc_check(body))


def bad_ssn(rng: random.Random) -> D:
    area, group, serial = rng.randint(1, 899), rng.randint(1, 99), rng.randint(1, 9999)
    area, group, serial = rng.choice([(0, group, serial), (666, group, serial),
                                      (rng.randint(900, 999), group, serial), (area, 0, serial),
                                      (area, group, 0)])
    return D("ssn_invalid", f"{area:03d}-{group:02d}-{serial:04d}")


def order_no(rng: random.Random) -> str:
    return (f"20{rng.randint(19, 25)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + digits(rng, rng.randint(4, 12)))


def hexs(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def uuid(rng: random.Random) -> str:
    h = hexs(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:]}"


def mac(rng: random.Random) -> str:
    sep = rng.choice(":-")
    return sep.join(hexs(rng, 2).upper() for _ in range(6))
