"""The vault's field registry: what each field holds, how it is normalized, masked and indexed.

Other apps register their own fields in ``AppConfig.ready``::

    from piwarden.vault.fields import VaultField, register
    register(VaultField("wechat_id", "user.contact.other", indexed=True))

The category must be a key of the data catalog (``catalog/piwarden.yaml``): it decides which
purposes may reveal the field and whether every reveal is audited (sensitive grade).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from piwarden.vault.errors import InvalidValue, UnknownField
from piwarden.vault.files import mask_key, normalize_key

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SPACES = re.compile(r"\s+")


def normalize_text(value: str) -> str:
    """Trimmed, inner whitespace collapsed, not empty."""
    if not isinstance(value, str):
        raise InvalidValue("the value must be a string")
    value = _SPACES.sub(" ", value).strip()
    if not value:
        raise InvalidValue("the value is empty")
    if len(value) > 1000:
        raise InvalidValue("the value is longer than 1000 characters")
    return value


def mask_text(value: str) -> str:
    """First character, then one star per remaining character (at most eight)."""
    return value[0] + "*" * min(max(len(value) - 1, 1), 8)


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return value[:1] + "*" * (len(value) - 1)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail:]


def normalize_phone(value: str) -> str:
    """E.164 (``+8613812345678``); numbers without a country code are read as Chinese."""
    value = normalize_text(value)
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidValue("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(value: str) -> str:
    """``138****5678``: three leading and four trailing digits of the national number."""
    number = phonenumbers.parse(value)
    national = str(number.national_number)
    masked = _keep_ends(national, 3, 4)
    return masked if number.country_code == 86 else f"+{number.country_code} {masked}"


def normalize_email(value: str) -> str:
    """Trimmed, domain lower-cased; the local part keeps its case (RFC 5321 allows it)."""
    value = normalize_text(value)
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidValue("not an e-mail address") from None
    local, _, domain = value.rpartition("@")
    if "." not in domain:  # Django accepts "localhost"; a person's address has a real domain
        raise InvalidValue("not an e-mail address")
    return f"{local}@{domain.lower()}"


def mask_email(value: str) -> str:
    """``a***@example.com``."""
    local, _, domain = value.rpartition("@")
    return f"{local[0]}***@{domain}"


def normalize_id_number(value: str) -> str:
    """Upper-case letters and digits (``11010519491231002X``, a passport number…)."""
    value = normalize_text(value).upper()
    if not re.fullmatch(r"[0-9A-Z]{5,32}", value):
        raise InvalidValue("an ID number is 5 to 32 letters and digits")
    return value


def mask_id_number(value: str) -> str:
    """``1101**********002X``: four leading and four trailing characters."""
    return _keep_ends(value, 4, 4)


def normalize_bank_account(value: str) -> str:
    """Digits and letters only (spaces and dashes dropped), as banks print them in groups."""
    value = re.sub(r"[\s-]", "", normalize_text(value)).upper()
    if not re.fullmatch(r"[0-9A-Z]{8,34}", value):
        raise InvalidValue("a bank account number is 8 to 34 letters and digits")
    return value


def mask_bank_account(value: str) -> str:
    """``6222***********0123``: four leading and four trailing characters."""
    return _keep_ends(value, 4, 4)


def normalize_address(value: str) -> str:
    """A JSON object of strings (province, city, district, street, postcode), canonical form."""
    if not isinstance(value, str):
        raise InvalidValue("the address must be a JSON string")
    try:
        data = json.loads(value)
    except ValueError:
        raise InvalidValue("the address is not JSON") from None
    if not isinstance(data, dict) or not data:
        raise InvalidValue("the address must be a JSON object")
    cleaned = {}
    for key, item in data.items():
        if not isinstance(item, str):
            raise InvalidValue("every address part must be a string")
        item = _SPACES.sub(" ", item).strip()
        if item:
            cleaned[key] = item
    if not cleaned:
        raise InvalidValue("the address is empty")
    return json.dumps(cleaned, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def mask_address(value: str) -> str:
    """Province and city only (coarse location), the rest starred."""
    data = json.loads(value)
    coarse = " ".join(data[part] for part in ("province", "city") if data.get(part))
    return f"{coarse} ****" if coarse else "****"


def _same(value: str) -> str:
    return value


@dataclass(frozen=True)
class VaultField:
    """One kind of value the vault stores, keyed by ``name`` in every vault call."""

    name: str
    category: str
    indexed: bool = False
    normalize: Callable[[str], str] = normalize_text
    mask: Callable[[str], str] = mask_text
    # What the blind index is computed on: lets e-mail match case-insensitively while the
    # stored value keeps the local part's case.
    index_form: Callable[[str], str] = field(default=_same)
    # Key material (a sealed file's key): used by its app's audited service only, never
    # exported or shown in the console, like a credential.
    secret: bool = False

    def __post_init__(self):
        if not _FIELD_NAME.match(self.name):
            raise ValueError(f"vault field name {self.name!r} must be a lower-case identifier")


_registry: dict[str, VaultField] = {}


def register(vault_field: VaultField) -> VaultField:
    """Add a field; a name is registered once (the same definition again is a no-op)."""
    existing = _registry.get(vault_field.name)
    if existing is not None and existing != vault_field:
        raise ValueError(f"vault field {vault_field.name!r} is already registered differently")
    _registry[vault_field.name] = vault_field
    return vault_field


def get(name: str) -> VaultField:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownField(f"no vault field named {name!r}") from None


def all_fields() -> list[VaultField]:
    return sorted(_registry.values(), key=lambda f: f.name)


register(VaultField("phone", "user.contact.phone", indexed=True,
                    normalize=normalize_phone, mask=mask_phone))
register(VaultField("email", "user.contact.email", indexed=True,
                    normalize=normalize_email, mask=mask_email, index_form=str.lower))
register(VaultField("name", "user.name"))
register(VaultField("id_number", "user.id_info", indexed=True,
                    normalize=normalize_id_number, mask=mask_id_number))
register(VaultField("address", "user.address",
                    normalize=normalize_address, mask=mask_address))
register(VaultField("contact_other", "user.contact.other"))
register(VaultField("bank_account", "user.financial.bank_account", indexed=True,
                    normalize=normalize_bank_account, mask=mask_bank_account))
# Keys of sealed evidence files (vault/files.py): one per subject and kind.
register(VaultField("rights_evidence_key", "user.rights_request",
                    normalize=normalize_key, mask=mask_key, secret=True))
register(VaultField("consent_evidence_key", "user.consent",
                    normalize=normalize_key, mask=mask_key, secret=True))
