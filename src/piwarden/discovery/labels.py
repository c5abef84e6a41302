"""Words for detector types, in both languages (the API, the console and reports use them)."""

from django.utils.translation import gettext_lazy as _

from piwarden.catalog import labels

TYPE_NAMES = {
    "cn_resident_id": _("PRC resident ID number"),
    "cn_passport": _("PRC passport number"),
    "us_ssn": _("US Social Security number"),
    "cn_mobile": _("Mainland China mobile number"),
    "us_phone": _("US phone number"),
    "uk_phone": _("UK phone number"),
    "email": _("E-mail address"),
    "bank_card": _("Bank card number"),
    "bank_account": _("Bank account number"),
    "ipv4": _("IPv4 address"),
    "ipv6": _("IPv6 address"),
    "cn_uscc": _("Unified Social Credit Code"),
}

SKIP_REASONS = {
    "not_regular": _("not a regular file (a pipe, socket, device or link)"),
    "not_text": _("not text in UTF-8, UTF-16 or GB18030"),
    "unreadable": _("could not be opened"),
}


def type_name(code, lang: str | None = None) -> str:
    """A detector type in words; an unknown type is humanised, never shown raw."""
    return labels.word(TYPE_NAMES, code, lang)


def skip_reason(code, lang: str | None = None) -> str:
    """Why a file was not read, in words."""
    return labels.word(SKIP_REASONS, code, lang)
