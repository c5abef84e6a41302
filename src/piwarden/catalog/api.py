"""The catalog API at /api/v1/catalog/: read-only, for staff and clients with ``catalog:read``.

Lists leave retired entries out unless ``include_retired=true``; a retired entry is still found
by its key, so references to it keep resolving.
"""

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from ninja import Router

from piwarden.api_errors import ApiError
from piwarden.catalog.export import NothingLoaded, export_yaml
from piwarden.catalog.models import (
    DataCategory,
    Grade,
    LegalBasis,
    ProcessingActivity,
    Purpose,
    Recipient,
    System,
)
from piwarden.catalog.schemas import (
    ActivityOut,
    CategoryOut,
    LegalBasisOut,
    PurposeOut,
    RecipientOut,
    SystemOut,
)
from piwarden.clients.auth import STAFF_OR_CLIENT, require_scope
from piwarden.clients.models import Scope

router = Router(tags=["catalog"], auth=STAFF_OR_CLIENT)


def _list(request, queryset: QuerySet, include_retired: bool) -> QuerySet:
    require_scope(request, Scope.CATALOG_READ)
    return queryset if include_retired else queryset.filter(retired=False)


def _get(request, queryset: QuerySet, key: str):
    require_scope(request, Scope.CATALOG_READ)
    row = queryset.filter(key=key).first()
    if row is None:
        raise ApiError(404, "NOT_FOUND", f"No {queryset.model._meta.verbose_name} '{key}'.")
    return row


_categories = DataCategory.objects.select_related("parent")
_purposes = Purpose.objects.select_related("legal_basis")
_activities = ProcessingActivity.objects.select_related("purpose").prefetch_related(
    "legal_bases", "categories", "systems", "recipients"
)


@router.get("/categories", response=list[CategoryOut])
def list_categories(
    request, grade: Grade | None = None, parent: str | None = None, include_retired: bool = False
):
    """Data categories, optionally only one grade or the direct children of one category."""
    rows = _list(request, _categories.all(), include_retired)
    if grade:
        rows = rows.filter(grade=grade)
    if parent:
        rows = rows.filter(parent__key=parent)
    return rows


@router.get("/categories/{key}", response=CategoryOut)
def get_category(request, key: str):
    return _get(request, _categories.all(), key)


@router.get("/purposes", response=list[PurposeOut])
def list_purposes(request, include_retired: bool = False):
    return _list(request, _purposes.all(), include_retired)


@router.get("/purposes/{key}", response=PurposeOut)
def get_purpose(request, key: str):
    return _get(request, _purposes.all(), key)


@router.get("/legal-bases", response=list[LegalBasisOut])
def list_legal_bases(request, include_retired: bool = False):
    return _list(request, LegalBasis.objects.all(), include_retired)


@router.get("/legal-bases/{key}", response=LegalBasisOut)
def get_legal_basis(request, key: str):
    return _get(request, LegalBasis.objects.all(), key)


@router.get("/activities", response=list[ActivityOut])
def list_activities(
    request, purpose: str | None = None, category: str | None = None,
    include_retired: bool = False,
):
    """Processing activities; ``category`` also matches activities naming one of its children."""
    rows = _list(request, _activities.all(), include_retired)
    if purpose:
        rows = rows.filter(purpose__key=purpose)
    if category:
        named = Q(categories__key=category) | Q(categories__key__startswith=f"{category}.")
        rows = rows.filter(pk__in=ProcessingActivity.objects.filter(named).values("pk"))
    return rows


@router.get("/activities/{key}", response=ActivityOut)
def get_activity(request, key: str):
    return _get(request, _activities.all(), key)


@router.get("/systems", response=list[SystemOut])
def list_systems(request, include_retired: bool = False):
    return _list(request, System.objects.all(), include_retired)


@router.get("/systems/{key}", response=SystemOut)
def get_system(request, key: str):
    return _get(request, System.objects.all(), key)


@router.get("/recipients", response=list[RecipientOut])
def list_recipients(request, include_retired: bool = False):
    return _list(request, Recipient.objects.all(), include_retired)


@router.get("/recipients/{key}", response=RecipientOut)
def get_recipient(request, key: str):
    return _get(request, Recipient.objects.all(), key)


@router.get("/export.yaml", openapi_extra={
    "responses": {200: {"content": {"application/yaml": {"schema": {
        "type": "object", "description": "A catalog file, the shape of catalog/piwarden.yaml."}}}}}
})
def export_catalog(request):
    """The loaded catalog as a catalog file (same shape as catalog/piwarden.yaml)."""
    require_scope(request, Scope.CATALOG_READ)
    try:
        text = export_yaml()
    except NothingLoaded as exc:
        raise ApiError(404, "NOT_FOUND", str(exc)) from None
    return HttpResponse(text, content_type="application/yaml; charset=utf-8")
