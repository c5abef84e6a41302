"""The optional ``collection`` section: what the event ingestion API may store, per kind."""

import pytest
import yaml

from piwarden.catalog import export, selectors
from piwarden.catalog.loader import CatalogError, read

from .conftest import MINIMAL, line_of

COLLECTION = """\
collection:
  cross_device_purpose: marketing.email
  event_kinds:
    - kind: newsletter_open
      activity: marketing.newsletter
      ip: truncate
      query_params: [campaign]
      fields:
        url: user.contact.email
"""


def problems(path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        read(path)
    return [str(p) for p in caught.value.problems]


def test_a_valid_collection_section(write):
    kinds = read(write(MINIMAL + COLLECTION)).data["collection"]["event_kinds"]
    assert kinds[0]["fields"] == {"url": "user.contact.email"}


@pytest.mark.parametrize(("old", "new", "location", "message"), [
    ("        url: user.contact.email\n", "        app_list: user.app_list\n",
     "collection.event_kinds[0].fields.app_list", "unknown field 'app_list'"),
    ("        url: user.contact.email\n", "        url: user.app_list\n",
     "collection.event_kinds[0].fields.url",
     "data category 'user.app_list' is marked not collectable"),
    ("        url: user.contact.email\n", "        url: user.id_info\n",
     "collection.event_kinds[0].fields.url", "data category 'user.id_info' is not declared by "
     "processing activity 'marketing.newsletter'"),
    ("        url: user.contact.email\n", "        url: user.wechat\n",
     "collection.event_kinds[0].fields.url", "unknown data category 'user.wechat'"),
    ("      activity: marketing.newsletter\n", "      activity: marketing.fax\n",
     "collection.event_kinds[0].activity", "unknown processing activity 'marketing.fax'"),
    ("  cross_device_purpose: marketing.email\n", "  cross_device_purpose: tracking\n",
     "collection.cross_device_purpose", "unknown purpose 'tracking'"),
    ("      ip: truncate\n", "      ip: hash\n", "collection.event_kinds[0].ip",
     "'hash' is not one of ['truncate', 'pseudonymize', 'keep']"),
])
def test_bad_collection_entries_are_refused(write, old, new, location, message):
    text = (MINIMAL + COLLECTION).replace(old, new)
    path = write(text)
    line = line_of(text, new.strip())
    assert problems(path) == [f"{path}:{line}: {location}: {message}"]


def test_location_needs_both_coordinates_and_a_precision(write):
    text = (MINIMAL + COLLECTION).replace(
        "        url: user.contact.email\n",
        "        latitude: user.contact.email\n")
    found = problems(write(text))
    assert any("declare 'latitude' and 'longitude' together" in p for p in found)
    assert any("must set 'location_precision'" in p for p in found)


def test_ip_field_needs_its_handling(write):
    text = (MINIMAL + COLLECTION).replace("      ip: truncate\n", "").replace(
        "        url: user.contact.email\n", "        url: user.contact.email\n"
        "        ip: user.contact.email\n")
    assert any("must say how IPs are stored" in p for p in problems(write(text)))


@pytest.mark.django_db
def test_loaded_section_is_served_and_exported(shipped):
    section, activities = selectors.collection_rules()
    kinds = {k["kind"]: k for k in section["event_kinds"]}
    assert kinds["location"]["location_precision"] == 3
    assert activities["log.access"] == {"purpose": "log.operation",
                                        "legal_basis": "legal_obligation", "retention": "P12M"}
    assert yaml.safe_load(export.export_yaml())["collection"] == section
