"""Writing the catalog in the database back out as a catalog file of the same shape.

Loading the export gives the same database content (retired entries are left out; a child's
grade is written only where it differs from its parent's, as an author would write it).
"""

import yaml

from piwarden.catalog import selectors
from piwarden.catalog.models import (
    DataCategory,
    LegalBasis,
    ProcessingActivity,
    Purpose,
    Recipient,
    StorageItem,
    System,
)


class NothingLoaded(Exception):
    """No catalog has been loaded into this database yet."""


def _name(row) -> dict:
    return {"name": {"en": row.name_en, "zh-hans": row.name_zh}}


def _optional(row, *fields: str) -> dict:
    """The optional text fields that are set (absent and "" load the same)."""
    return {name: getattr(row, name) for name in fields if getattr(row, name)}


def _keys(manager) -> list[str]:
    return [row.key for row in manager.all()]


def _category(row: DataCategory, parent_grade: str | None, children: dict,
              parent_second: bool = False) -> dict:
    out = {"key": row.key, **_name(row), **_optional(row, "description")}
    if row.grade != parent_grade:
        out["grade"] = row.grade
    if row.second_approver != parent_second:
        out["second_approver"] = row.second_approver
    if row.anonymized:
        out["anonymized"] = True
    if not row.collectable:
        out["collectable"] = False
    out.update(_optional(row, "policy_ref", "note"))
    kids = children.get(row.pk, [])
    if kids:
        out["children"] = [_category(kid, row.grade, children, row.second_approver)
                           for kid in kids]
    return out


def catalog_document() -> dict:
    """The active catalog as a plain dict in the file's shape."""
    release = selectors.latest_release()
    if release is None:
        raise NothingLoaded("no catalog has been loaded; run `piwarden catalog load`")
    children: dict[int | None, list[DataCategory]] = {}
    for row in DataCategory.objects.filter(retired=False):
        children.setdefault(row.parent_id, []).append(row)
    document = {
        "schema_version": release.schema_version,
        "handler": release.handler,
        **({"policy": release.policy} if release.policy else {}),
        "legal_bases": [
            {"key": b.key, **_name(b), **_optional(b, "article"), "pipl_13": b.pipl_13,
             **_optional(b, "only_with", "description", "policy_ref", "note")}
            for b in LegalBasis.objects.filter(retired=False)
        ],
        "categories": [_category(row, None, children) for row in children.get(None, [])],
        "purposes": [
            {"key": p.key, **_name(p), **_optional(p, "description"),
             "legal_basis": p.legal_basis.key, "consent": p.consent,
             **_optional(p, "separate", "policy_ref", "note")}
            for p in Purpose.objects.filter(retired=False).select_related("legal_basis")
        ],
        "systems": [
            {"key": s.key, "name": s.name, "kind": s.kind, "region": s.region or None,
             **_optional(s, "description")}
            for s in System.objects.filter(retired=False)
        ],
        "recipients": [
            {"key": r.key, **_name(r), "legal_name": r.legal_name or None, "role": r.role,
             "status": r.status, "country": r.country or None,
             **_optional(r, "contact", "uscc"),
             **{name: getattr(r, name) for name in (
                 "hosts", "script_hosts", "categories", "purposes") if getattr(r, name)},
             **_optional(r, "policy_ref", "note")}
            for r in Recipient.objects.filter(retired=False)
        ],
        "processing_activities": [_activity(a) for a in ProcessingActivity.objects.filter(
            retired=False).select_related("purpose").prefetch_related(
            "legal_bases", "categories", "systems", "recipients")],
    }
    items = StorageItem.objects.filter(retired=False).select_related("purpose")
    if items:
        document["storage_items"] = [_storage_item(item) for item in items]
    if release.functions:
        document["functions"] = release.functions
    if release.collection:
        document["collection"] = release.collection
    return document


def _storage_item(item: StorageItem) -> dict:
    return {
        "name": item.name, "kind": item.kind, "party": item.party,
        **_optional(item, "provider"), "category": item.category, "purpose": item.purpose.key,
        "lifetime": item.lifetime,
        "description": {"en": item.description_en, "zh-hans": item.description_zh},
        **_optional(item, "policy_ref"),
    }


def _activity(a: ProcessingActivity) -> dict:
    out = {
        "key": a.key, **_name(a), **_optional(a, "description"), "purpose": a.purpose.key,
        "legal_bases": _keys(a.legal_bases), "categories": _keys(a.categories),
        "data_subjects": list(a.data_subjects), "systems": _keys(a.systems),
    }
    recipients = _keys(a.recipients)
    if recipients:
        out["recipients"] = recipients
    out.update({"retention": a.retention, "storage_region": a.storage_region})
    out.update(_optional(a, "policy_ref", "note"))
    return out


def export_yaml() -> str:
    """The YAML text; raises NothingLoaded before the first load."""
    document = catalog_document()
    release = selectors.latest_release()
    header = f"# piwarden data catalog, exported from release {release.sha256[:12]}\n"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return header + yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True,
                              width=100)
