"""Residency (X-7.1, Z-6): `piwarden check --deploy` fails with an Error when the catalog
keeps PI outside mainland China without a transfer record that covers it."""

import pytest
from django.core.management import CommandError, call_command

from piwarden.catalog.services import load_catalog
from piwarden.transfers import checks, residency
from tests.sharing.conftest import NAMED, write_named_catalog

from .conftest import OVERSEAS, STORAGE_FLOW

pytestmark = pytest.mark.django_db


def _catalog_with(tmp_path, system_actor, systems=None, named=None):
    """The shipped catalog with some systems moved to another region."""
    import yaml

    path = write_named_catalog(tmp_path / "named.yaml", named or {})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for system in data["systems"]:
        if system["key"] in (systems or {}):
            system["region"] = systems[system["key"]]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return load_catalog(actor=system_actor, path=path)


def _errors():
    return checks.pi_stays_in_mainland_china(None)


def test_z_6_the_shipped_catalog_keeps_pi_in_mainland_china(fresh_caches):
    assert _errors() == []


@pytest.mark.parametrize("region", ["SG", "HK"])
def test_z_6_a_declared_store_in_singapore_or_hong_kong_fails_the_deploy_check(
        region, tmp_path, system_actor, fresh_caches):
    _catalog_with(tmp_path, system_actor, systems={"backup": region})
    errors = _errors()
    assert [(e.id, e.obj) for e in errors] == [("piwarden.E100", "backup")]
    assert errors[0].is_serious()  # an Error, not a Warning
    assert region in errors[0].msg
    with pytest.raises(CommandError) as failed:  # so `piwarden check --deploy` exits non-zero
        call_command("check", deploy=True, fail_level="ERROR")
    assert "piwarden.E100" in str(failed.value)


def test_x_7_1_a_device_side_system_without_region_is_fine(tmp_path, system_actor,
                                                          fresh_caches):
    _catalog_with(tmp_path, system_actor, systems={"browser_storage": None})
    assert _errors() == []


def test_x_7_1_a_processor_abroad_needs_a_valid_transfer_record(make_record, officer):
    """The named catalog's storage processor is in Singapore: an error until a record with a
    mechanism in force covers one of its flows."""
    assert [(f.kind, f.key) for f in residency.findings()] == [
        ("processor", "processor.data_storage")]
    record = make_record(*STORAGE_FLOW)
    assert residency.findings() == []
    from piwarden.transfers import services

    services.set_status(actor=officer, record=record, status="suspended", reason="Audit.")
    assert [f.key for f in residency.findings()] == ["processor.data_storage"]


def test_x_7_1_a_store_abroad_is_covered_by_a_record_on_a_flow_of_an_activity_using_it(
        make_record, tmp_path, system_actor):
    """The backup in Singapore is used by ``sharing.processors``: the Singapore processor's
    record on that activity's flow covers it; nothing covers the CRM in Hong Kong, nor a
    backup in Hong Kong (a record covers only its own country or region)."""
    make_record(*STORAGE_FLOW)
    _catalog_with(tmp_path, system_actor, systems={"backup": "SG", "crm": "HK"},
                  named={**NAMED, "third_party.overseas": OVERSEAS})
    assert [(f.kind, f.key) for f in residency.findings()] == [("system", "crm")]
    _catalog_with(tmp_path, system_actor, systems={"backup": "HK", "web_app": "US"},
                  named={**NAMED, "third_party.overseas": OVERSEAS})
    assert sorted((f.kind, f.key) for f in residency.findings()) == [
        ("system", "backup"), ("system", "web_app")]


def test_x_7_1_an_expired_mechanism_does_not_cover(make_record):
    import datetime

    from django.utils import timezone

    make_record(*STORAGE_FLOW, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert [f.key for f in residency.findings()] == ["processor.data_storage"]
