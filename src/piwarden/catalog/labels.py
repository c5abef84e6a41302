"""The one place codes become words: what a person reads instead of a catalog key or a code.

Every function takes a code and an optional ``lang`` (``"en"`` or ``"zh-hans"``; default: the
active language) and returns words in that language, never the code itself. An unknown code gets
a readable fallback (its last segment, humanised), so a new key added to the catalog before its
page is updated still reads as words.

Category, purpose, recipient and legal-basis names come from the catalog rows (``name_en`` /
``name_zh``), read once per catalog freshness token (``caches.freshness.CATALOG``), so a list page
does not query per row. Everything else is a table of ``gettext_lazy`` strings translated in the
catalog app's ``locale``. Templates use the same functions through ``{% load labels %}``.
"""

import datetime
import json
import re
import threading
from collections.abc import Iterable

from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from piwarden.caches import freshness
from piwarden.redaction import REDACTED

CHINA = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")

# ---------------------------------------------------------------------------------------------
# Language handling
# ---------------------------------------------------------------------------------------------


def _zh(lang: str | None = None) -> bool:
    code = (lang or translation.get_language() or "en").lower()
    return code.startswith("zh")


def _in(lang: str | None, func):
    """Run ``func`` with ``lang`` active (or the active language)."""
    if lang is None:
        return str(func())
    with translation.override("zh-hans" if _zh(lang) else "en"):
        return str(func())


def humanise(code) -> str:
    """The readable fallback for an unknown code: its last segment, words instead of ``_``."""
    text = str(code or "").strip()
    if not text:
        return ""
    last = re.split(r"[.:/]", text)[-1] or text
    words = re.sub(r"[_\-]+", " ", last).strip().lower()
    return (words[:1].upper() + words[1:]) if words else ""


def word(table: dict, code, lang: str | None) -> str:
    """The table's words for ``code`` in the language; a code it lacks is humanised."""
    if code in table:
        return _in(lang, lambda: table[code])
    return humanise(code)


# ---------------------------------------------------------------------------------------------
# Catalog names, cached per catalog freshness token
# ---------------------------------------------------------------------------------------------

_lock = threading.Lock()
_names: tuple | None = None  # (token, outermost atomic block or None, {kind: {key: (en, zh)}})


def _outer_block():
    """Names read inside a transaction may be rolled back (tests, a failed load): such a read is
    trusted only inside the same outermost transaction."""
    blocks = getattr(connection, "atomic_blocks", None)
    return blocks[0] if connection.in_atomic_block and blocks else None


def _load() -> dict:
    from piwarden.catalog.models import DataCategory, LegalBasis, Purpose, Recipient

    _connect_signals()
    tables = {}
    for kind, model in (("category", DataCategory), ("purpose", Purpose),
                        ("recipient", Recipient), ("basis", LegalBasis)):
        tables[kind] = {key: (en, zh) for key, en, zh in
                        model.objects.values_list("key", "name_en", "name_zh")}
    return tables


def _tables() -> dict:
    global _names
    token = freshness.token(freshness.CATALOG)
    block = _outer_block()
    cached = _names
    if cached is not None and cached[0] == token and cached[1] is block:
        return cached[2]
    tables = _load()
    with _lock:
        _names = (token, block, tables)
    return tables


def clear_cache(**_kwargs) -> None:
    """Forget the cached catalog names (a catalog row was saved or deleted in this process)."""
    global _names
    _names = None


def _catalog_name(kind: str, key, lang: str | None) -> str | None:
    if not key:
        return None
    pair = _tables()[kind].get(str(key))
    if pair is None:
        return None
    en, zh = pair
    return (zh or en) if _zh(lang) else (en or zh)


def _connect_signals() -> None:
    from piwarden.catalog.models import DataCategory, LegalBasis, Purpose, Recipient

    for model in (DataCategory, LegalBasis, Purpose, Recipient):
        post_save.connect(clear_cache, sender=model, dispatch_uid=f"labels-{model.__name__}-s")
        post_delete.connect(clear_cache, sender=model, dispatch_uid=f"labels-{model.__name__}-d")


# ---------------------------------------------------------------------------------------------
# Catalog keys
# ---------------------------------------------------------------------------------------------


def category(key, lang: str | None = None) -> str:
    """``user.contact.email`` -> "E-mail address" / "电子邮箱"."""
    return _catalog_name("category", key, lang) or humanise(key)


def _join(items: list[str], lang: str | None) -> str:
    return ("、" if _zh(lang) else ", ").join(item for item in items if item)


def categories(keys, lang: str | None = None) -> str:
    """A list of category keys -> "E-mail address, Phone number" ("电子邮箱、手机号码")."""
    if keys is None:
        return ""
    if isinstance(keys, str):
        keys = [k for k in re.split(r"[,\s]+", keys) if k]
    return _join([category(key, lang) for key in keys], lang)


def purpose(key, lang: str | None = None) -> str:
    """Purpose key -> its catalog name."""
    return _catalog_name("purpose", key, lang) or humanise(key)


def purposes(keys, lang: str | None = None) -> str:
    if isinstance(keys, str):
        keys = [k for k in re.split(r"[,\s]+", keys) if k]
    return _join([purpose(key, lang) for key in keys or ()], lang)


def recipient(key, lang: str | None = None) -> str:
    """Recipient key -> its catalog name."""
    return _catalog_name("recipient", key, lang) or humanise(key)


_BASES = {
    "consent": _("Your consent"),
    "consent.separate": _("Your separate consent"),
    "consent.written": _("Your written consent"),
    "contract": _("Necessary for a contract with you"),
    "legal_obligation": _("Required by law"),
    "emergency": _("Protecting life, health or property in an emergency"),
    "news_reporting": _("News reporting in the public interest"),
    "public_information": _("Information already lawfully made public"),
    "other_law": _("Other circumstances provided by law"),
}


def basis(key, lang: str | None = None) -> str:
    """Legal basis key (``legal_obligation``, ``consent.separate``) -> words."""
    name = _catalog_name("basis", key, lang)
    if name:
        return name
    return word(_BASES, key, lang)


# ---------------------------------------------------------------------------------------------
# Consent scopes, storage, parties
# ---------------------------------------------------------------------------------------------

_SCOPES = {
    "general": _("Consent"),
    "separate": _("Separate consent"),
    "separate.sensitive": _("Separate consent for sensitive personal information"),
    "separate.third_party": _("Separate consent to providing your information to another company"),
    "separate.public_disclosure": _("Separate consent to making your information public"),
    "separate.cross_border": _("Separate consent to transferring your information outside "
                               "mainland China"),
}


def scope(code, lang: str | None = None) -> str:
    """Consent scope (``general``, ``separate.sensitive``…) -> words."""
    return word(_SCOPES, code, lang)


_STORAGE_KINDS = {
    "cookie": _("Cookie"),
    "local_storage": _("Local storage"),
    "session_storage": _("Session storage"),
    "indexeddb": _("Browser database (IndexedDB)"),
    "cache_storage": _("Browser cache"),
}


def storage_kind(kind, lang: str | None = None) -> str:
    """``cookie``, ``local_storage``, ``session_storage``… -> "Local storage" / "本地存储"."""
    return word(_STORAGE_KINDS, kind, lang)


STORAGE_CATEGORY_ORDER = ("necessary", "preferences", "analytics", "advertising")

_STORAGE_CATEGORIES = {
    "necessary": _("Strictly necessary"),
    "preferences": _("Preferences"),
    "analytics": _("Analytics"),
    "advertising": _("Advertising"),
}


def storage_category(code, lang: str | None = None) -> str:
    """The banner's categories (``necessary``, ``preferences``…) -> words."""
    return word(_STORAGE_CATEGORIES, code, lang)


_PARTIES = {
    "first": _("First party (set by this website)"),
    "third": _("Third party (set by another company)"),
    "partner": _("Partner (set by a partner company)"),
}

# Providers the shipped catalog names by description rather than by legal name (marked here so
# that they are collected and translated; :func:`provider` looks any provider text up).
PROVIDERS = (gettext_noop("Advertising partner"), gettext_noop("Analytics partner"),
             gettext_noop("This website"))


def provider(text, lang: str | None = None) -> str:
    """A storage item's provider as the catalog gives it ("Advertising partner") -> words in
    the language when a translation exists; a company's legal name stays as it is."""
    if not text:
        return ""
    return _in(lang, lambda: gettext(str(text)))


def party(code, lang: str | None = None) -> str:
    """``first`` / ``third`` -> words."""
    return word(_PARTIES, code, lang)


_ROLES = {
    "affiliate_handler": _("Affiliate, a handler in its own right"),
    "independent_handler": _("Another personal information handler"),
    "processor": _("Entrusted processor, acting on our instructions"),
    "joint_handler": _("Joint handler"),
    "authority": _("Competent authority"),
}


def recipient_role(code, lang: str | None = None) -> str:
    """A recipient's legal role (``processor``, ``independent_handler``…) -> words."""
    return word(_ROLES, code, lang)


_CONSENT_REQUIREMENTS = {
    "none": _("No consent needed: another legal basis"),
    "consent": _("Your consent"),
    "separate": _("Your separate consent"),
}


def consent_requirement(code, lang: str | None = None) -> str:
    """A purpose's consent requirement (``none``, ``consent``, ``separate``) -> words."""
    return word(_CONSENT_REQUIREMENTS, code, lang)


_GRADES = {
    "public": _("Public information"),
    "internal": _("Internal information"),
    "personal": _("Personal information"),
    "sensitive": _("Sensitive personal information"),
}


def grade(code, lang: str | None = None) -> str:
    """A category's grade (``personal``, ``sensitive``…) -> words."""
    return word(_GRADES, code, lang)


_COUNTRIES = {
    "CN": _("Mainland China"),
    "HK": _("Hong Kong SAR, China"),
    "MO": _("Macao SAR, China"),
    "TW": _("Taiwan, China"),
    "US": _("United States"),
    "SG": _("Singapore"),
    "JP": _("Japan"),
    "KR": _("South Korea"),
    "DE": _("Germany"),
    "FR": _("France"),
    "GB": _("United Kingdom"),
    "IE": _("Ireland"),
    "NL": _("Netherlands"),
    "AU": _("Australia"),
    "CA": _("Canada"),
}


def country(code, lang: str | None = None) -> str:
    """ISO country code (``CN``, ``US``) -> its name; an unknown code is shown as given."""
    key = str(code or "").upper()
    if key in _COUNTRIES:
        return _in(lang, lambda: _COUNTRIES[key])
    return key


# ---------------------------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------------------------

_NAMED_DURATIONS = {
    "session": _("Until you close the browser"),
    "account_lifetime": _("As long as your account exists"),
    "until_withdrawn": _("Until you withdraw your consent"),
    "legal_hold": _("As long as a law requires"),
}

_ISO = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def _unit(unit: str, n: int) -> str:
    if unit == "years":
        return ngettext("%(n)d year", "%(n)d years", n) % {"n": n}
    if unit == "months":
        return ngettext("%(n)d month", "%(n)d months", n) % {"n": n}
    if unit == "weeks":
        return ngettext("%(n)d week", "%(n)d weeks", n) % {"n": n}
    if unit == "days":
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if unit == "hours":
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    if unit == "minutes":
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    return ngettext("%(n)d second", "%(n)d seconds", n) % {"n": n}


def parse_duration(iso) -> dict[str, int] | None:
    """``P1Y6M`` -> ``{"years": 1, "months": 6}``; None when it is not an ISO-8601 duration."""
    match = _ISO.match(str(iso or "").strip().upper())
    if not match:
        return None
    return {unit: int(n) for unit, n in match.groupdict().items() if n is not None}


def duration(iso, lang: str | None = None) -> str:
    """ISO-8601 duration (``P14D``, ``P1Y``, ``PT30M``) or a named rule (``session``) -> words."""
    if iso is None or iso == "":
        return ""
    if isinstance(iso, datetime.timedelta):
        parts = {"days": iso.days} if iso.days else {}
        hours, rest = divmod(iso.seconds, 3600)
        if hours:
            parts["hours"] = hours
        if rest // 60:
            parts["minutes"] = rest // 60
        if not parts:
            parts = {"seconds": rest}
    else:
        key = str(iso).strip()
        if key in _NAMED_DURATIONS:
            return _in(lang, lambda: _NAMED_DURATIONS[key])
        parts = parse_duration(key)
        if parts is None:
            return humanise(key)

    def words():
        items = [_unit(unit, n) for unit, n in parts.items() if n or len(parts) == 1]
        if len(items) <= 1:
            return "".join(items)
        if _zh(lang):
            return " ".join(items)  # "1 年 6 个月"
        return gettext("%(first)s and %(last)s") % {
            "first": ", ".join(items[:-1]), "last": items[-1]}

    return _in(lang, words)


# ---------------------------------------------------------------------------------------------
# Error codes
# ---------------------------------------------------------------------------------------------

GENERIC_ERROR = _("Please check what you entered.")

_ERRORS = {
    "ADDRESS_INVALID": _("Give province, city, district, street and postcode only."),
    "ALREADY_PROCESSING": _("This request is already being carried out."),
    "ALREADY_REGISTERED": _("This phone number or e-mail address cannot be used to sign up. "
                            "If it is yours, log in."),
    "ALREADY_REQUESTED": _("A cancellation of this account is already under way."),
    "AVATAR_TOO_LARGE": _("The image is larger than allowed."),
    "AVATAR_TYPE": _("This file is not an image we can read."),
    "CATEGORY_UNKNOWN": _("Unknown data category."),
    "CHANNEL_INVALID": _("Choose e-mail or mobile phone."),
    "CHOICE_INVALID": _("Please choose one of the options."),
    "CODE_ATTEMPTS_EXCEEDED": _("Too many wrong codes. Ask for a new one."),
    "CODE_EXPIRED": _("The code has expired. Ask for a new one."),
    "CODE_INVALID": _("This code is not right."),
    "CONSENT_NOT_RECORDED": _("Your consent could not be recorded."),
    "CONSENT_REQUIRED": _("Tick the box to let us contact you; without it we keep nothing."),
    "CONTACT_REQUIRED": _("Leave a phone number or an e-mail address so that we can reach you."),
    "CONTACT_TAKEN": _("Another account has already verified this value."),
    "CONTENT_CHANGED": _("This item changed since the page was shown. Please look at it again."),
    "DATES_INVALID": _("The campaign cannot end before it starts."),
    "DETAILS_REQUIRED": _("Write the correct value."),
    "DETAILS_TOO_LONG": _("Keep the details under 4000 characters."),
    "EMAIL_INVALID": _("Enter a valid e-mail address."),
    "EVIDENCE_GONE": _("The evidence was erased or cannot be opened."),
    "EVIDENCE_REQUIRED": _("Attach the written or e-mailed request."),
    "FIELDS_MISSING": _("Complete your profile to use this service."),
    "FIELD_IMMUTABLE": _("This information cannot be changed here once it is set or verified. "
                         "Send a correction request instead."),
    "FIELD_NOT_EDITABLE": _("This value cannot be changed."),
    "FIELD_UNKNOWN": _("Choose the information to correct."),
    "GUARDIAN_REQUEST_CLOSED": _("This request is no longer open."),
    "GUARDIAN_REQUIRED": _("You are under 14: give the e-mail address of your parent or "
                           "guardian, who must confirm before anything is saved."),
    "ID_BIRTH_DATE_INVALID": _("The birth date in this ID number is not valid."),
    "ID_CHECKSUM_INVALID": _("The check digit of this ID number is wrong."),
    "ID_MISMATCH": _("This is not the ID number the child entered."),
    "ID_NUMBER_INVALID": _("A Resident ID number has 17 digits and a check digit."),
    "ID_TYPE_INVALID": _("Choose a known type of ID document."),
    "INVALID_CREDENTIALS": _("The phone number, e-mail or password is not right."),
    "LINK_EXPIRED": _("This link has expired."),
    "LINK_UNKNOWN": _("This link is not valid."),
    "LOCKED_OUT": _("Too many failed attempts. Please try again in 15 minutes."),
    "MESSAGE_TOO_LONG": _("The message is too long (at most 2,000 characters)."),
    "NAME_INVALID": _("A name cannot contain digits or symbols."),
    "NAME_REQUIRED": _("Enter a name or a title."),
    "NAME_TOO_LONG": _("The name is too long."),
    "NOTICE_OUTDATED": _("The notice changed while this page was open. Please read the new "
                         "notice on this page and send the form again."),
    "NOTICE_VERSION_REQUIRED": _("Please reload the page, read the notice and send the form "
                                 "again."),
    "NOT_APPROVED": _("This file is not approved for download, or was downloaded already."),
    "NOT_FOUND": _("This link is not valid."),
    "NOT_REQUESTER": _("Only the requester can download this file."),
    "NO_ACCOUNT": _("There is no account to cancel."),
    "OTP_INVALID": _("This authentication code is not right."),
    "OTP_REQUIRED": _("Enter the code from your authenticator app or a recovery code."),
    "PASSWORD_WEAK": _("Choose a password of at least 8 characters that is not common, not a "
                       "simple pattern, and does not contain your phone number or e-mail name."),
    "PHONE_INVALID": _("Enter a valid phone number."),
    "PURPOSE_UNKNOWN": _("Choose the purpose to withdraw."),
    "RATE_LIMITED": _("Too many attempts. Please try again later."),
    "REAUTH_FAILED": _("The password or code is not right."),
    "REAUTH_REQUIRED": _("Confirm it is you (password or authentication code) first."),
    "REVEAL_REFUSED": _("This value cannot be shown: the consent or the purpose that allowed it "
                        "is missing."),
    "SCAN_GONE": _("The scan was erased."),
    "SCAN_REQUIRED": _("Attach the scan of the signed consent form."),
    "SCAN_TOO_LARGE": _("The scan is too large."),
    "SCAN_TYPE": _("The scan must be a PDF, JPEG or PNG file."),
    "SEPARATE_CONSENT_REQUIRED": _("ID information is saved only with your separate consent."),
    "SERVICE_DOES_NOT_NEED_ID": _("ID information is asked only for a service that needs it."),
    "SERVICE_UNKNOWN": _("There is no such service."),
    "SUBJECT_ERASED": _("Nothing is held about this person any more."),
    "SUBJECT_INACTIVE": _("This account is no longer active."),
    "TOKEN_NAME_INVALID": _("Give the token a name of up to 60 characters."),
    "TOO_FAST": _("That was quicker than a person types. Please wait a moment and send the "
                  "form again."),
    "TOO_LONG": _("This value is too long."),
    "TOTP_ALREADY_ENABLED": _("Two-factor authentication is already on."),
    "TOTP_NOT_ENABLED": _("Two-factor authentication is off."),
    "TOTP_NOT_STARTED": _("Start the set-up first."),
    "USERNAME_TAKEN": _("This user name is taken."),
    "USER_NAME_INVALID": _("Use 2-40 letters, digits, spaces, dots, dashes or underscores."),
    "VALIDATION_ERROR": GENERIC_ERROR,
    "VALUE_INVALID": _("This value is not valid."),
    "VALUE_REQUIRED": _("Enter a value, or delete the request."),
}


def error(code, lang: str | None = None) -> str:
    """Machine error code (``PHONE_INVALID``) -> a sentence; unknown -> a generic request."""
    message = _ERRORS.get(str(code or "").strip().upper(), GENERIC_ERROR)
    return _in(lang, lambda: message)


def error_codes() -> list[str]:
    """Every code :func:`error` has its own sentence for (tests walk them)."""
    return sorted(_ERRORS)


# ---------------------------------------------------------------------------------------------
# Redactions: the marker screening leaves where PI was removed (``discovery.screening``)
# ---------------------------------------------------------------------------------------------

_REMOVED = _("[removed]")


def redactions(text, lang: str | None = None):
    """A stored text with each redaction marker (``[REDACTED]``, stored the same in every
    language) in the reader's words."""
    if not isinstance(text, str) or REDACTED not in text:
        return text
    return text.replace(REDACTED, _in(lang, lambda: _REMOVED))


# ---------------------------------------------------------------------------------------------
# Any key: for lists that mix kinds (an audit line naming a category or a purpose)
# ---------------------------------------------------------------------------------------------


def any_key(key, lang: str | None = None) -> str:
    """A key of any known kind -> words: category, purpose, recipient, basis, scope, storage."""
    for kind in ("category", "purpose", "recipient", "basis"):
        name = _catalog_name(kind, key, lang)
        if name:
            return name
    for table in (_SCOPES, _BASES, _STORAGE_KINDS, _STORAGE_CATEGORIES, _NAMED_DURATIONS,
                  _ROLES, _GRADES):
        if key in table:
            return _in(lang, lambda table=table: table[key])
    if parse_duration(key):
        return duration(key, lang)
    return humanise(key)


# ---------------------------------------------------------------------------------------------
# Dates: China time, no seconds
# ---------------------------------------------------------------------------------------------


def _china(value) -> datetime.datetime | datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(CHINA)
    if isinstance(value, datetime.date):
        return value
    return None


def china_time(value, lang: str | None = None) -> str:
    """Aware datetime -> "2026-12-04 14:03" in China time (no seconds); a date -> the date."""
    moment = _china(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime.datetime):
        return china_date(moment, lang)
    return moment.strftime("%Y-%m-%d %H:%M")


def china_date(value, lang: str | None = None) -> str:
    """Datetime or date -> "2026-12-04" (en) / "2026年12月4日" (zh-hans), China date."""
    moment = _china(value)
    if moment is None:
        return ""
    if _zh(lang):
        return f"{moment.year}年{moment.month}月{moment.day}日"
    return moment.strftime("%Y-%m-%d")


_ADDRESS_PARTS = ("province", "city", "district", "street")


def address(value, lang: str | None = None) -> str:
    """A structured address (a dict or its JSON) -> one line a person reads, postcode last;
    any other value is returned as given."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    parts = [str(value[k]).strip() for k in _ADDRESS_PARTS if str(value.get(k) or "").strip()]
    line = "".join(parts) if _zh(lang) else " ".join(parts)
    postcode = str(value.get("postcode") or "").strip()
    if postcode:
        line = _in(lang, lambda: gettext("%(address)s (postcode %(postcode)s)") % {
            "address": line, "postcode": postcode})
    return line


def join(items: Iterable[str], lang: str | None = None) -> str:
    """Join words with the language's list separator ("、" in Chinese)."""
    return _join([str(item) for item in items], lang)
