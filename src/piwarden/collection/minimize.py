"""Minimization of event fields, applied before anything is stored.

Each function takes what a website's server sent and returns what may be kept, or raises
``Invalid`` (the field is then dropped and counted, never stored as sent). None of them logs or
echoes a value: the messages name the field only.
"""

import functools
import hashlib
import hmac
import ipaddress
import math
import re
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from django.conf import settings
from ua_parser import parse as parse_user_agent

from piwarden.redaction import REDACTED

MAX_URL = 2048
# E-mail addresses; PRC ID numbers (18 characters, the last one may be X); PRC mobile numbers
# with or without +86. Digit runs are bounded so that longer numbers (order ids) stay intact.
_PI = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"|(?<![0-9])(?:[0-9]{17}[0-9Xx]|(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2})"
    r"(?![0-9A-Za-z])"
)
# Cheap pre-test: without an "@" or seven digits in a row (maybe split once) none can match.
_MAYBE_PI = re.compile(r"@|[0-9]{3}[ -]?[0-9]{4}")
_ORIGIN = re.compile(r"(https?)://(?:[^/@]*@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?"
                     r"(?=/|$)", re.IGNORECASE)
# A dotted quad whose octets are 0-255 without leading zeros: what ``ipaddress`` accepts, matched
# in one step (the common case of ``truncate``).
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}$")
_SCREEN = re.compile(r"^[0-9]{2,5}x[0-9]{2,5}$")
NETWORK_TYPES = frozenset({"wifi", "ethernet", "cellular", "slow-2g", "2g", "3g", "4g", "5g",
                           "bluetooth", "none", "other", "unknown"})
_PATH_SAFE = "/:@!$&'()*+,;=-._~[]"


class Invalid(ValueError):
    """The value cannot be stored in a minimized form; the field is dropped."""


def redact(text: str) -> str:
    """Replace e-mail addresses, phone numbers and ID numbers by ``[REDACTED]``."""
    if not _MAYBE_PI.search(text):
        return text
    return _PI.sub(REDACTED, text)


def clean_url(value, allowed_params: frozenset[str]) -> str:
    """Keep scheme, host, path and the allowed query parameters; drop user info and fragment;
    redact PI patterns in the path and the kept values (also when percent-encoded).

    Hand-split rather than ``urlsplit``/``parse_qsl``/``urlencode``: ingestion runs this for
    every URL field of every event, and kept parameters stay byte for byte as sent unless a
    value is redacted. The parts that repeat from event to event are cached, each keyed by
    the exact text it is computed from (so no event's values can reach another's output): the
    part before ``?`` (origin and path, already redacted), and per set of allowed parameters,
    whether a parameter name is kept and what a kept ``name=value`` pair becomes.
    """
    if not isinstance(value, str) or not value or len(value) > 4 * MAX_URL:
        raise Invalid("not a URL")
    url = value.strip().partition("#")[0]
    base, _, query = url.partition("?")
    head = _BASES.get(base)
    if head is None:
        head = _clean_base(base)
        if len(base) <= _CACHED_TEXT:
            if len(_BASES) >= _CACHE_ENTRIES:
                _BASES.clear()
            _BASES[base] = head
    if not head:  # _NOT_HTTP
        raise Invalid("not an http(s) URL")
    if not (query and allowed_params):
        return head[:MAX_URL]
    names, pairs = _QUERY_RULES.get(allowed_params) or _query_rules(allowed_params)
    kept = []
    for part in query.split("&"):
        name, _, val = part.partition("=")
        allowed = names.get(name)
        if allowed is None:
            allowed = unquote_plus(name) in allowed_params
            if len(name) <= _CACHED_TEXT:
                if len(names) >= _CACHE_ENTRIES:
                    names.clear()
                names[name] = allowed
        if not allowed:
            continue
        out = pairs.get(part)
        if out is None:
            plain = unquote_plus(val) if "%" in val or "+" in val else val
            redacted = redact(plain)
            out = part if redacted is plain else f"{name}={quote_plus(redacted)}"
            if len(part) <= _CACHED_TEXT:
                if len(pairs) >= _CACHE_ENTRIES:
                    pairs.clear()
                pairs[part] = out
        kept.append(out)
    return (head + ("?" + "&".join(kept) if kept else ""))[:MAX_URL]


# Cache sizes: entries per cache, and the longest text that is cached (longer ones are
# computed every time, so a flood of long unique URLs cannot fill memory).
_CACHE_ENTRIES = 4096
_CACHED_TEXT = 512
_NOT_HTTP = ""  # cached for a base that is not an http(s) URL or a path (never a valid head)
_BASES: dict[str, str] = {}
_QUERY_RULES: dict[frozenset[str], tuple[dict[str, bool], dict[str, str]]] = {}


def _clean_base(base: str) -> str:
    """The origin and redacted path of the part before ``?``; ``_NOT_HTTP`` when it is not an
    absolute http(s) URL or a path."""
    if base.startswith("/") and not base.startswith("//"):
        origin, path = "", base
    else:
        match = _ORIGIN.match(base)
        if match is None:
            return _NOT_HTTP
        scheme, host, port = match.groups()
        origin = f"{scheme.lower()}://{host.lower()}{port or ''}"
        path = base[match.end():]
    if "%" in path:
        decoded = unquote(path)
        redacted = redact(decoded)
        if redacted != decoded:
            path = quote(redacted, safe=_PATH_SAFE)
    else:
        path = redact(path)
    return origin + path


def _query_rules(allowed_params: frozenset[str]) -> tuple[dict[str, bool], dict[str, str]]:
    """The caches of one set of allowed parameters (a catalog kind's ``query_params``)."""
    if len(_QUERY_RULES) >= 64:
        _QUERY_RULES.clear()
    rules = _QUERY_RULES[allowed_params] = ({}, {})
    return rules


def ip_key() -> bytes:
    """The HMAC key for IP pseudonyms: ``PIWARDEN_IP_PSEUDONYM_KEY`` when set, otherwise one
    derived from the secret key (changing either starts a new, unlinkable series)."""
    configured = settings.PIWARDEN_IP_PSEUDONYM_KEY
    if configured:
        return configured.encode()
    return hashlib.sha256(b"piwarden.collection.ip|" + settings.SECRET_KEY.encode()).digest()


def clean_ip(value, mode: str, key: bytes) -> str:
    """``truncate``: the /24 (IPv4) or /48 (IPv6) network; ``pseudonymize``: a keyed HMAC;
    ``keep``: the address as given (only where the catalog allows it)."""
    if not isinstance(value, str):
        raise Invalid("not an IP address")
    if mode == "truncate":  # the common case, without ipaddress's parsing cost
        match = _IPV4.match(value)
        if match:
            return f"{match[1]}.{match[2]}.{match[3]}.0/24"
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise Invalid("not an IP address") from None
    if mode == "keep":
        return str(address)
    if mode == "pseudonymize":
        return "hmac:" + hmac.new(key, address.packed, hashlib.sha256).hexdigest()[:32]
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@functools.lru_cache(maxsize=4096)
def parse_ua(value: str) -> tuple[str, str, str]:
    """``(browser, os, device type)`` from a user agent; the string itself is not kept."""
    result = parse_user_agent(value[:512])
    agent, system, device = result.user_agent, result.os, result.device
    browser = f"{agent.family} {agent.major}" if agent and agent.major else (
        agent.family if agent else "")
    os_name = f"{system.family} {system.major}" if system and system.major else (
        system.family if system else "")
    family = device.family if device else ""
    if family == "Spider" or "bot" in value.lower():
        kind = "bot"
    elif "iPad" in value or "Tablet" in value or ("Android" in value and "Mobile" not in value):
        kind = "tablet"
    elif "Mobi" in value or "iPhone" in value:
        kind = "mobile"
    elif os_name:
        kind = "desktop"
    else:
        kind = "other"
    return browser[:64], os_name[:64], kind


def clean_text(value, pattern: re.Pattern, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or not pattern.match(value):
        raise Invalid("malformed")
    return value


def clean_int(value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Invalid("out of range")
    return int(value)


def clean_coordinate(value, limit: float, places: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) \
            or not -limit <= value <= limit:
        raise Invalid("out of range")
    return round(float(value), places)


def grid_metres(places: int) -> int:
    """The size of the grid cell that rounding to ``places`` decimals leaves (at the equator)."""
    return math.ceil(111_320 / 10 ** places)
