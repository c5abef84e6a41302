"""Read queries on the catalog that other apps share (the audit trail, the home page)."""

from collections.abc import Iterable

from piwarden.catalog.models import (
    CatalogRelease,
    DataCategory,
    Grade,
    LegalBasis,
    ProcessingActivity,
    Purpose,
    Recipient,
    System,
)

# Known active keys, per process. unknown_keys() runs on every audit record, so it must not
# query on a hit; a miss re-reads the keys once, which picks up a load made by another process.
# A key retired by another process stays accepted here until this process misses or restarts.
_known: dict[str, frozenset[str]] | None = None

# The collection section of the latest release, per process, keyed by the catalog's freshness
# token (a load in any process on this host changes it). Ingestion asks on every batch.
_collection: tuple[bytes, dict, dict] | None = None

_KEY_MODELS = {"categories": DataCategory, "purposes": Purpose, "legal_bases": LegalBasis}


def clear_cache() -> None:
    global _known, _collection
    _known = _collection = None


def _refresh() -> dict[str, frozenset[str]]:
    global _known
    _known = {
        name: frozenset(model.objects.filter(retired=False).values_list("key", flat=True))
        for name, model in _KEY_MODELS.items()
    }
    return _known


def _missing(asked: dict[str, set[str]], known: dict[str, frozenset[str]]) -> dict:
    return {name: sorted(keys - known[name]) for name, keys in asked.items() if keys - known[name]}


def unknown_keys(
    *,
    categories: Iterable[str] = (),
    purposes: Iterable[str] = (),
    legal_bases: Iterable[str] = (),
) -> dict[str, list[str]]:
    """``{}`` when every key is an active catalog key, else the unknown ones by kind."""
    asked = {"categories": set(categories), "purposes": set(purposes),
             "legal_bases": set(legal_bases)}
    if not any(asked.values()):
        return {}
    if _known is None:
        return _missing(asked, _refresh())
    missing = _missing(asked, _known)
    return _missing(asked, _refresh()) if missing else missing


def counts() -> dict[str, int]:
    """Active entries per table (retired ones excluded)."""
    active = {"retired": False}
    return {
        "categories": DataCategory.objects.filter(**active).count(),
        "sensitive_categories": DataCategory.objects.filter(
            **active, grade=Grade.SENSITIVE).count(),
        "purposes": Purpose.objects.filter(**active).count(),
        "legal_bases": LegalBasis.objects.filter(**active).count(),
        "activities": ProcessingActivity.objects.filter(**active).count(),
        "systems": System.objects.filter(**active).count(),
        "recipients": Recipient.objects.filter(**active).count(),
    }


def latest_release() -> CatalogRelease | None:
    return CatalogRelease.objects.order_by("-loaded_at", "-id").first()


def summary() -> dict:
    """The home page's numbers: the current release and the active entry counts."""
    release = latest_release()
    return {
        "release": release.sha256[:12] if release else None,
        "loaded_at": release.loaded_at if release else None,
        **counts(),
    }


def collection_rules() -> tuple[dict, dict]:
    """``(section, activities)``: the loaded ``collection`` section ({} when none) and, for each
    activity its event kinds name, ``{"purpose", "legal_basis", "retention"}``."""
    global _collection
    from piwarden.caches import freshness

    token = freshness.token(freshness.CATALOG)
    if _collection is not None and _collection[0] == token:
        return _collection[1], _collection[2]
    release = latest_release()
    section = release.collection if release else {}
    names = {kind["activity"] for kind in section.get("event_kinds", [])}
    activities = {
        a.key: {"purpose": a.purpose.key, "legal_basis": a.purpose.legal_basis.key,
                "retention": a.retention}
        for a in ProcessingActivity.objects.filter(key__in=names, retired=False)
        .select_related("purpose__legal_basis")
    }
    _collection = (token, section, activities)
    return section, activities


def activity_retention() -> dict[str, str]:
    """Every active processing activity's retention (``P12M``, ``account_lifetime``…)."""
    return dict(ProcessingActivity.objects.filter(retired=False)
                .values_list("key", "retention"))
