"""Loading the catalog: one transaction, one audit record, retirements, and export round trip."""

import hashlib
import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.catalog import selectors
from piwarden.catalog.export import catalog_document, export_yaml
from piwarden.catalog.loader import CatalogError
from piwarden.catalog.models import (
    CatalogRelease,
    DataCategory,
    LegalBasis,
    ProcessingActivity,
    Purpose,
    Recipient,
    System,
)
from piwarden.catalog.services import load_catalog

from .conftest import MINIMAL

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def snapshot() -> dict:
    """Every catalog row as plain data, foreign keys and links by key (ids left out)."""
    def rows(model, related=(), links=()):
        out = {}
        for row in model.objects.all():
            fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields
                      if f.attname != "id" and not f.attname.endswith("_id")}
            fields.update({name: getattr(getattr(row, name), "key", None) for name in related})
            fields.update({name: sorted(r.key for r in getattr(row, name).all()) for name in links})
            out[row.key] = fields
        return out

    return {
        "bases": rows(LegalBasis), "categories": rows(DataCategory, ["parent"]),
        "purposes": rows(Purpose, ["legal_basis"]), "systems": rows(System),
        "recipients": rows(Recipient),
        "activities": rows(ProcessingActivity, ["purpose"],
                           ["legal_bases", "categories", "systems", "recipients"]),
    }


def test_load_writes_release_and_one_audit_record(settings):
    """A load records the file's SHA-256 and counts, and appends one catalog.loaded record."""
    before = AuditEvent.objects.count()
    release = load_catalog(actor=ACTOR)
    sha = hashlib.sha256(settings.PIWARDEN_CATALOG_FILE.read_bytes()).hexdigest()
    assert release.sha256 == sha and release.loaded_by == "system:tests"
    assert release.counts == selectors.counts() and release.counts["sensitive_categories"] > 0
    [event] = AuditEvent.objects.filter(seq__gt=before)
    assert (event.action, event.actor_id, event.object_id) == (
        "catalog.loaded", "tests", str(release.pk))
    assert event.detail["sha256"] == sha
    assert event.detail["counts"] == release.counts
    assert event.detail["retired"] == dict.fromkeys(
        ["legal_bases", "categories", "purposes", "systems", "recipients", "activities",
         "storage_items"], 0)


def test_loading_twice_is_idempotent(shipped):
    """The same file again: same rows, nothing retired, a second release and audit record."""
    first, releases = snapshot(), CatalogRelease.objects.count()
    loads = AuditEvent.objects.filter(action="catalog.loaded").count()
    again = load_catalog(actor=ACTOR)
    assert snapshot() == first
    assert again.sha256 == shipped.sha256 and CatalogRelease.objects.count() == releases + 1
    assert AuditEvent.objects.filter(action="catalog.loaded").count() == loads + 1


def test_invalid_file_changes_nothing(write):
    """A refused file leaves no release, no rows and no audit record."""
    before = (snapshot(), CatalogRelease.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CatalogError):
        load_catalog(actor=ACTOR, path=write(MINIMAL.replace("role: processor", "role: friend")))
    assert (snapshot(), CatalogRelease.objects.count(), AuditEvent.objects.count()) == before


def test_removed_entries_are_retired_not_deleted(shipped, write):
    """Entries missing from the new file stay (references remain valid) but are retired."""
    load_catalog(actor=ACTOR, path=write(MINIMAL))
    payment = ProcessingActivity.objects.get(key="payment.checkout")
    assert payment.retired and payment.categories.filter(key="user.id_info").exists()
    assert DataCategory.objects.get(key="user.financial.bank_account").retired
    assert not DataCategory.objects.get(key="user.id_info").retired  # still in the file
    assert selectors.unknown_keys(categories=["user.financial.bank_account", "user.id_info"]) == {
        "categories": ["user.financial.bank_account"]}
    event = AuditEvent.objects.filter(action="catalog.loaded").latest("seq")
    assert event.detail["retired"]["activities"] == ProcessingActivity.objects.count() - 1


def test_entry_back_in_the_file_is_active_again(shipped, write):
    """Retiring is undone by putting the entry back."""
    load_catalog(actor=ACTOR, path=write(MINIMAL))
    load_catalog(actor=ACTOR)
    assert not ProcessingActivity.objects.get(key="payment.checkout").retired
    assert ProcessingActivity.objects.get(key="marketing.newsletter").retired  # MINIMAL's only


def test_export_round_trip_gives_the_same_database(shipped, tmp_path):
    """Export, load the export: identical rows, and the export of that is the same document."""
    before, document = snapshot(), catalog_document()
    exported = tmp_path / "export.yaml"
    exported.write_text(export_yaml(), encoding="utf-8")
    load_catalog(actor=ACTOR, path=exported)
    assert snapshot() == before
    assert catalog_document() == document


def test_export_keeps_the_file_shape(shipped, settings):
    """The export has the same sections and the same keys in the same order as the file."""
    original = yaml.safe_load(settings.PIWARDEN_CATALOG_FILE.read_text(encoding="utf-8"))
    exported = yaml.safe_load(export_yaml())
    assert list(exported) == list(original)
    for section in ("legal_bases", "purposes", "systems", "recipients", "processing_activities"):
        assert [e["key"] for e in exported[section]] == [e["key"] for e in original[section]]


def test_command_check_reports_problems_on_stderr(write):
    """`piwarden catalog check FILE` exits non-zero with each precise error on stderr."""
    path = write(MINIMAL.replace("systems: [crm]", "systems: [nowhere]"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("catalog", "check", str(path), stderr=err)
    assert ": processing_activities[0].systems[0]: unknown system 'nowhere'" in err.getvalue()


def test_command_load_and_export(tmp_path):
    """`catalog load` loads the shipped file as the catalog.load job; `export -o` writes YAML."""
    out = io.StringIO()
    call_command("catalog", "load", stdout=out)
    assert "Loaded release" in out.getvalue()
    assert selectors.latest_release().loaded_by == "system:catalog.load"
    target = tmp_path / "out.yaml"
    call_command("catalog", "export", "-o", str(target), stderr=io.StringIO())
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["schema_version"] == 1


def test_command_export_before_any_load_fails():
    """Nothing to export yet: a clear error instead of an empty file."""
    CatalogRelease.objects.all().delete()  # in case the session already loaded the catalog
    with pytest.raises(CommandError, match="no catalog has been loaded"):
        call_command("catalog", "export")
