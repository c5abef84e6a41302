"""Loading the catalog file into the database: the only writer of the catalog tables."""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.caches import freshness
from piwarden.catalog import loader, selectors, signals
from piwarden.catalog.models import (
    CatalogEntry,
    CatalogRelease,
    DataCategory,
    LegalBasis,
    ProcessingActivity,
    Purpose,
    Recipient,
    StorageItem,
    System,
)


def load_catalog(*, actor: Actor, path: Path | str | None = None) -> CatalogRelease:
    """Validate the file, then make the database match it in one transaction.

    Every load writes a new release row and one ``catalog.loaded`` audit record, even when the
    file is unchanged (the upserts are idempotent), so the trail shows each time it was applied.
    Entries no longer in the file are marked retired, never deleted.
    """
    catalog = loader.read(path or settings.PIWARDEN_CATALOG_FILE)
    with transaction.atomic():
        retired = _apply(catalog)
        release = CatalogRelease.objects.create(
            sha256=catalog.sha256,
            source=loader.display_name(Path(catalog.source)),
            schema_version=catalog.data["schema_version"],
            handler=catalog.data["handler"],
            policy=catalog.data.get("policy", {}),
            functions=catalog.data.get("functions", []),
            collection=catalog.data.get("collection", {}),
            counts=selectors.counts(),
            loaded_by=str(actor),
        )
        audit.record(
            actor=actor,
            action="catalog.loaded",
            obj=release,
            detail={"sha256": catalog.sha256, "counts": release.counts, "retired": retired},
        )
        signals.catalog_loaded.send(CatalogRelease, release=release, actor=actor)
        # Clear now, so this process sees the new keys at once (also inside an outer
        # transaction), and again at commit, in case another thread refilled it in between.
        transaction.on_commit(selectors.clear_cache)
        freshness.changed(freshness.CATALOG)
    selectors.clear_cache()
    return release


def _apply(catalog: loader.Catalog) -> dict[str, int]:
    """Upsert every section in dependency order; return how many rows each one retired."""
    data, retired = catalog.data, {}
    bases, retired["legal_bases"] = _upsert(LegalBasis, data["legal_bases"], lambda e, _: {
        **_texts(e), "article": e.get("article") or "", "pipl_13": e["pipl_13"],
        "only_with": e.get("only_with", []),
    })
    categories, retired["categories"] = _upsert(DataCategory, catalog.categories, lambda e, done: {
        **_texts(e), "grade": e["grade"], "anonymized": e.get("anonymized", False),
        "collectable": e.get("collectable", True), "second_approver": e["second_approver"],
        "parent": done[e["parent"]] if e["parent"] else None,
    })
    purposes, retired["purposes"] = _upsert(Purpose, data["purposes"], lambda e, _: {
        **_texts(e), "legal_basis": bases[e["legal_basis"]], "consent": e["consent"],
        "separate": e.get("separate", []),
    })
    systems, retired["systems"] = _upsert(System, data["systems"], lambda e, _: {
        "name": e["name"], "kind": e["kind"], "region": e["region"] or "",
        "description": e.get("description") or "",
    })
    recipients, retired["recipients"] = _upsert(Recipient, data["recipients"], lambda e, _: {
        **_texts(e), "legal_name": e["legal_name"] or "", "role": e["role"],
        "status": e["status"], "country": e["country"] or "", "contact": e.get("contact") or "",
        "uscc": e.get("uscc") or "", "hosts": e.get("hosts", []),
        "script_hosts": e.get("script_hosts", []), "categories": e.get("categories", []),
        "purposes": e.get("purposes", []),
    })
    activities, retired["activities"] = _upsert(
        ProcessingActivity, data["processing_activities"], lambda e, _: {
            **_texts(e), "purpose": purposes[e["purpose"]], "data_subjects": e["data_subjects"],
            "retention": e["retention"], "storage_region": e["storage_region"],
        },
    )
    items = [{**item, "key": f"{item['kind']}:{item['name']}"}
             for item in data.get("storage_items", [])]
    _, retired["storage_items"] = _upsert(StorageItem, items, lambda e, _: {
        "name": e["name"], "kind": e["kind"], "party": e["party"],
        "provider": e.get("provider") or "", "category": e["category"],
        "purpose": purposes[e["purpose"]], "lifetime": e["lifetime"],
        "description_en": e["description"]["en"], "description_zh": e["description"]["zh-hans"],
        "policy_ref": e.get("policy_ref") or "",
    })
    _link(activities, data["processing_activities"], {
        "legal_bases": bases, "categories": categories, "systems": systems,
        "recipients": recipients,
    })
    return retired


def _link(activities: dict, entries: list[dict], targets: dict[str, dict]) -> None:
    """Replace the links of the activities in the file (retired ones keep theirs).

    Written through the join tables in two queries per relation: ``.set()`` per activity
    costs a few queries each and made a load several times slower.
    """
    for name, rows in targets.items():
        field = ProcessingActivity._meta.get_field(name)
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        through.objects.filter(**{f"{source}__in": list(activities.values())}).delete()
        through.objects.bulk_create([
            through(**{source: activities[entry["key"]], target: rows[key]})
            for entry in entries for key in entry.get(name, [])
        ])


def _texts(entry: dict) -> dict:
    """The bilingual name and the optional free-text fields ("" when absent)."""
    return {
        "name_en": entry["name"]["en"],
        "name_zh": entry["name"]["zh-hans"],
        **{name: entry.get(name) or "" for name in ("description", "policy_ref", "note")},
    }


def _upsert(model: type[CatalogEntry], entries: list[dict], fields) -> tuple[dict, int]:
    """Create or update one row per entry, in file order; retire rows the file no longer has.

    ``fields(entry, rows)`` gets the rows made so far, so a category can find its parent.
    """
    existing = {row.key: row for row in model.objects.all()}
    rows: dict[str, CatalogEntry] = {}
    for position, entry in enumerate(entries):
        row = existing.pop(entry["key"], None) or model(key=entry["key"])
        row.position, row.retired = position, False
        for name, value in fields(entry, rows).items():
            setattr(row, name, value)
        row.save()
        rows[row.key] = row
    newly_retired = [row.pk for row in existing.values() if not row.retired]
    model.objects.filter(pk__in=newly_retired).update(retired=True)
    return rows, len(newly_retired)
