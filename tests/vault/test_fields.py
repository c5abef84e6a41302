import json

import pytest

from piwarden.catalog.models import DataCategory
from piwarden.vault import fields
from piwarden.vault.errors import InvalidValue, UnknownField
from piwarden.vault.fields import VaultField


@pytest.mark.parametrize(("raw", "normalized"), [
    ("13812345678", "+8613812345678"),
    (" 138 1234 5678 ", "+8613812345678"),
    ("+86 138-1234-5678", "+8613812345678"),
    ("008613812345678", "+8613812345678"),
    ("+1 650 253 0000", "+16502530000"),
])
def test_phone_normalizes_to_e164_with_china_as_default(raw, normalized):
    assert fields.normalize_phone(raw) == normalized


@pytest.mark.parametrize("raw", ["", "12345", "1381234567", "phone", "+86 999 0000 0000", None])
def test_invalid_phone_numbers(raw):
    with pytest.raises(InvalidValue):
        fields.normalize_phone(raw)


def test_foreign_phone_mask_keeps_the_country_code():
    assert fields.mask_phone("+16502530000") == "+1 650***0000"


def test_email_keeps_local_case_and_lowercases_the_domain():
    assert fields.normalize_email("  Alice.Li@Example.COM ") == "Alice.Li@example.com"
    for bad in ["alice", "alice@", "@example.com", "a b@example.com", "alice@localhost"]:
        with pytest.raises(InvalidValue):
            fields.normalize_email(bad)


def test_id_number_and_bank_account():
    assert fields.normalize_id_number(" 11010119900307002x ") == "11010119900307002X"
    assert fields.normalize_bank_account("6222-0212 3456 7890") == "6222021234567890"
    with pytest.raises(InvalidValue):
        fields.normalize_id_number("1101 0119")
    with pytest.raises(InvalidValue):
        fields.normalize_bank_account("1234")


def test_address_is_a_canonical_json_object():
    value = fields.normalize_address('{"street": "  Main  St 1 ", "city": "Shanghai", "x": ""}')
    assert value == '{"city":"Shanghai","street":"Main St 1"}'
    assert fields.mask_address(value) == "Shanghai ****"
    for bad in ["not json", "[]", "{}", '{"street": 5}', json.dumps({"a": " "})]:
        with pytest.raises(InvalidValue):
            fields.normalize_address(bad)


def test_text_fields_are_trimmed_and_not_empty():
    assert fields.normalize_text("  Li   Na ") == "Li Na"
    with pytest.raises(InvalidValue):
        fields.normalize_text("   ")
    with pytest.raises(InvalidValue):
        fields.normalize_text("x" * 1001)


def test_register_refuses_a_conflicting_definition():
    phone = fields.get("phone")
    assert fields.register(phone) is phone  # same definition again: accepted
    with pytest.raises(ValueError, match="already registered"):
        fields.register(VaultField("phone", "user.contact.other"))
    with pytest.raises(ValueError, match="lower-case identifier"):
        VaultField("Phone Number", "user.contact.phone")
    with pytest.raises(UnknownField):
        fields.get("shoe_size")


@pytest.mark.django_db
def test_every_registered_field_names_a_catalog_category():
    """Including the fields other apps register in their AppConfig.ready()."""
    known = set(DataCategory.objects.filter(retired=False).values_list("key", flat=True))
    assert {f.category for f in fields.all_fields()} <= known
    assert {"phone", "email", "name", "id_number", "address", "contact_other",
            "bank_account"} <= {f.name for f in fields.all_fields()}
