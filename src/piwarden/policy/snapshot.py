"""A policy version's content: the loaded catalog plus catalog/policy-terms.yaml, as plain JSON.

The snapshot is what the pages render and what ``diff`` compares, so every name a person reads
is copied into it in both languages: an archived version reads the same after the catalog
moves on.
"""

from pathlib import Path

import yaml
from django.conf import settings

from piwarden.catalog.models import (
    CatalogRelease,
    DataCategory,
    ProcessingActivity,
    Purpose,
    Recipient,
    StorageItem,
)
from piwarden.errors import ServiceError

LANGS = ("zh-hans", "en")
_TERMS_KEYS = ("handler", "protection_officer", "rights", "withdrawal_methods",
               "complaint_routes", "cross_border", "minors")


class TermsError(ServiceError):
    def __init__(self, message: str):
        super().__init__("POLICY_TERMS_INVALID", message, status=422)


def terms_path() -> Path:
    default = Path(settings.PIWARDEN_CATALOG_FILE).with_name("policy-terms.yaml")
    return Path(getattr(settings, "PIWARDEN_POLICY_TERMS", None) or default)


def read_terms(path: Path | None = None) -> dict:
    """The terms file, checked for what the policy cannot do without."""
    terms = yaml.safe_load(Path(path or terms_path()).read_text(encoding="utf-8")) or {}
    missing = [key for key in _TERMS_KEYS if not terms.get(key)]
    if missing:
        raise TermsError(f"The policy terms lack: {', '.join(missing)}.")
    days = terms["rights"].get("deadline_business_days")
    if not isinstance(days, int) or days < 1:
        raise TermsError("rights.deadline_business_days must be a positive whole number.")
    for key in ("rights", "withdrawal_methods", "complaint_routes"):
        items = terms[key]["items"] if key == "rights" else terms[key]
        for item in items:
            if not item.get("key") or set(LANGS) - set(item.get("name", {})):
                raise TermsError(f"Each of {key} needs a key and a name in both languages.")
    return terms


def _names(row) -> dict:
    return {"en": row.name_en, "zh-hans": row.name_zh}


def build(release: CatalogRelease, terms: dict) -> dict:
    """The structured policy for one catalog release (the rows loaded now) and the terms."""
    activities = list(ProcessingActivity.objects.filter(retired=False)
                      .prefetch_related("categories", "recipients", "legal_bases"))
    purposes = []
    for purpose in Purpose.objects.filter(retired=False).select_related("legal_basis"):
        mine = [a for a in activities if a.purpose_id == purpose.pk]
        if not mine:
            continue
        purposes.append({
            "key": purpose.key, "name": _names(purpose), "description": purpose.description,
            "basis": purpose.legal_basis.key, "basis_name": _names(purpose.legal_basis),
            "consent": purpose.consent, "separate": list(purpose.separate),
            "activities": [{
                "key": a.key, "name": _names(a),
                "categories": sorted(c.key for c in a.categories.all()),
                "recipients": sorted(r.key for r in a.recipients.all()),
                "retention": a.retention, "storage_region": a.storage_region,
            } for a in mine],
        })
    used = {c for p in purposes for a in p["activities"] for c in a["categories"]}
    categories = {c.key: {"name": _names(c), "sensitive": c.sensitive}
                  for c in DataCategory.objects.filter(key__in=used)}
    recipients = [{
        "key": r.key, "name": _names(r), "legal_name": r.legal_name, "role": r.role,
        "country": r.country, "categories": sorted(r.categories), "named": bool(r.legal_name),
    } for r in Recipient.objects.filter(retired=False)]
    storage = [{
        "key": s.key, "name": s.name, "kind": s.kind, "party": s.party, "provider": s.provider,
        "category": s.category, "lifetime": s.lifetime,
        "description": {"en": s.description_en, "zh-hans": s.description_zh},
    } for s in StorageItem.objects.filter(retired=False)]
    regions = sorted({a["storage_region"] for p in purposes for a in p["activities"]})
    return {
        "version": (release.policy or {}).get("version", ""),
        "catalog": {"release": release.pk, "sha256": release.sha256},
        "handler": {**terms["handler"], "legal_name": release.handler.get("legal_name", ""),
                    "country": release.handler.get("country", "")},
        "protection_officer": terms["protection_officer"],
        "purposes": purposes, "categories": categories, "recipients": recipients,
        "storage": storage,
        "rights": {"deadline_business_days": terms["rights"]["deadline_business_days"],
                   "items": terms["rights"]["items"]},
        "withdrawal_methods": terms["withdrawal_methods"],
        "complaint_routes": terms["complaint_routes"],
        "cross_border": terms["cross_border"], "storage_regions": regions,
        "minors": terms["minors"],
        "high_risk_assessments": _high_risk_assessments(),
    }


def _high_risk_assessments() -> list[dict]:
    """PIPIAs rated high risk: a new one is a major change (6) of §VIII."""
    from piwarden.sharing.models import Assessment, Risk

    return [{"id": a.pk, "title": a.title,
             "decided_at": a.decided_at.date().isoformat() if a.decided_at else ""}
            for a in Assessment.objects.filter(risk=Risk.HIGH).order_by("pk")]
