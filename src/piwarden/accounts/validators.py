"""Validation and normalization of every profile value, with machine error codes."""

import datetime
import json
import re

import phonenumbers
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from piwarden import identifiers
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import IdType

PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "piwarden.accounts.validators.BreachedPatternValidator"},
]
MAX_PASSWORD = 256
ADDRESS_PARTS = ("province", "city", "district", "street", "postcode")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ID_MESSAGES = {
    "ID_NUMBER_INVALID": gettext_noop("A Resident ID number has 17 digits and a check digit."),
    "ID_CHECKSUM_INVALID": gettext_noop("The check digit of this ID number is wrong."),
    "ID_BIRTH_DATE_INVALID": gettext_noop("The birth date in this ID number is not valid."),
}


def phone(value: str) -> str:
    """A mobile number (default region CN) in E.164, e.g. ``+8613812345678``."""
    try:
        number = phonenumbers.parse(str(value or "").strip(), "CN")
    except phonenumbers.NumberParseException:
        number = None
    mobile = (phonenumbers.PhoneNumberType.MOBILE,
              phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if (number is None or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in mobile):
        raise AccountError("PHONE_INVALID", _("Enter a valid mobile phone number."),
                           field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(value: str) -> str:
    value = str(value or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise AccountError("EMAIL_INVALID", _("Enter a valid e-mail address."),
                           field="email") from None
    local, _sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _text(value, *, field: str, code: str, max_length: int, required: bool = True) -> str:
    value = " ".join(str(value or "").split())
    if (required and not value) or len(value) > max_length or _CONTROL.search(value):
        raise AccountError(code, _("This value is missing, too long or not plain text."),
                           field=field)
    return value


def user_name(value: str) -> str:
    value = _text(value, field="user_name", code="USER_NAME_INVALID", max_length=40)
    if not re.fullmatch(r"[\w .\-\u00b7]{2,40}", value):
        raise AccountError("USER_NAME_INVALID",
                           _("Use 2-40 letters, digits, spaces, dots, dashes or underscores."),
                           field="user_name")
    return value


def name(value: str) -> str:
    value = _text(value, field="name", code="NAME_INVALID", max_length=100)
    if re.search(r"[0-9@<>{}\[\]]", value):
        raise AccountError("NAME_INVALID", _("A name cannot contain digits or symbols."),
                           field="name")
    return value


CONTACT_MAX = 200


def contact_other(value: str) -> str:
    return _text(value, field="contact_other", code="CONTACT_INVALID", max_length=CONTACT_MAX)


def address(data) -> str:
    """A structured address, returned as the JSON string the vault stores."""
    if not isinstance(data, dict) or set(data) - set(ADDRESS_PARTS):
        raise AccountError("ADDRESS_INVALID", _("Give province, city, district, street and "
                                                "postcode only."), field="address")
    out = {}
    for part in ADDRESS_PARTS:
        out[part] = _text(data.get(part), field=f"address.{part}", code="ADDRESS_INVALID",
                          max_length=120, required=part != "district")
    if not re.fullmatch(r"\d{6}", out["postcode"]):
        raise AccountError("ADDRESS_INVALID", _("A postcode has six digits."),
                           field="address.postcode")
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def id_number(id_type: str, value: str) -> tuple[str, datetime.date | None]:
    """The normalized number and, for a PRC Resident ID, the birth date it encodes.

    The check digit (GB 11643, ISO 7064 MOD 11-2) and a real, past birth date are checked
    (``piwarden.identifiers``); the region code is not, since a form takes what the card says.
    """
    if id_type not in IdType.values:
        raise AccountError("ID_TYPE_INVALID", _("Choose a known type of ID document."),
                           field="id_type")
    number = re.sub(r"[\s-]", "", str(value or "")).upper()
    if id_type != IdType.PRC_RESIDENT_ID:
        if not re.fullmatch(r"[A-Z0-9]{5,20}", number):
            raise AccountError("ID_NUMBER_INVALID", _("This ID number is not valid."),
                               field="id_number")
        return number, None
    problem = identifiers.resident_id_problem(number, timezone.localdate())
    if problem is not None:
        raise AccountError(problem, _(_ID_MESSAGES[problem]), field="id_number")
    born = identifiers.resident_id_birth_date(number)
    return number, born


def age_on(born: datetime.date, today: datetime.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


_SEQUENCES = (
    "0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb", "1q2w3e4r5t6y7u8i9o0p",
)
_LEET = str.maketrans("0134@$5!7", "oieaassit")
_BASES = {"password", "passwort", "iloveyou", "admin", "welcome", "woaini", "qwerty",
          "letmein", "monkey", "dragon", "abc", "aa", "zxc", "asd", "qq", "wang", "li",
          "zhang", "love", "test", "root", "user", "p@ssword"}


def _common(word: str) -> bool:
    if word in _BASES:
        return True
    try:
        password_validation.CommonPasswordValidator().validate(word)
    except ValidationError:
        return True
    return False


class BreachedPatternValidator:
    """Refuses the shapes that fill breach corpora: keyboard and alphabet runs, repeats,
    dates, and a common word with digits or symbols around it (``Password2024!``)."""

    def validate(self, password, user=None):
        low = password.lower()
        core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", low)
        patterns = (
            len(set(low)) <= 2,
            re.fullmatch(r"(.{1,4})\1+.{0,3}", low) is not None,
            any(low in seq or low in seq[::-1] for seq in _SEQUENCES),
            re.fullmatch(r"(19|20)\d{2}[01]\d[0-3]\d", low) is not None,
            bool(core) and len(core) >= 2 and (_common(core) or _common(core.translate(_LEET))),
            low.translate(_LEET) != low and _common(low.translate(_LEET)),
        )
        if any(patterns):
            raise ValidationError(_("This password follows a pattern found in leaked "
                                    "password lists."), code="password_breached_pattern")

    def get_help_text(self):
        return _("Your password cannot be a keyboard run, a repeat, a date or a common word "
                 "with digits added.")


def password(value: str, *, phone_value: str = "", email_value: str = "",
             field: str = "password") -> str:
    """Length >= 8, not common, not a breached pattern, not built from the phone or e-mail."""
    value = str(value or "")
    problems = []
    if len(value) > MAX_PASSWORD:
        problems.append("password_too_long")
    else:
        try:
            password_validation.validate_password(
                value, password_validators=password_validation.get_password_validators(
                    PASSWORD_VALIDATORS))
        except ValidationError as exc:
            problems.extend(error.code for error in exc.error_list)
    digits = re.sub(r"\D", "", phone_value)[-11:]
    local = email_value.partition("@")[0].lower() if email_value else ""
    if (digits and (digits in value or digits[-8:] in value)) or (
            len(local) >= 3 and local in value.lower()):
        problems.append("password_personal_data")
    if problems:
        raise AccountError(
            "PASSWORD_WEAK",
            _("Choose a password of at least 8 characters that is not common, not a simple "
              "pattern, and does not contain your phone number or e-mail name."),
            field=field, detail={"reasons": sorted(set(problems))})
    return value
