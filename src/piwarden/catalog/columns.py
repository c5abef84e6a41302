"""The one column -> category map (V-5.1a; conventions, "Pieces built once").

Each app declares, next to its models, the catalog category of every text column that can hold
PI in ``<app>/columns.py``: ``COLUMNS = {"app.Model.field": "category.key" | None}`` (``None``:
declared as holding no PI), and ``INPUTS`` for the names its forms and API take that are neither
a column nor a vault field. The vault's values are keyed ``vault:<field>`` from the vault's field
registry. File exports, the collection linter and the staff read gate ask this module, never a
list of their own.
"""

import importlib
from functools import cache

from django.apps import apps
from django.db import models

from piwarden.catalog import selectors

# The columns that can hold a value of PI (their subclasses too: e-mail, URL, image...).
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField,
               models.GenericIPAddressField, models.BinaryField, models.FileField)

# Names every form or API may take that carry no PI whatever the app (paging, language, the
# purpose a caller states, CSRF). An app's own ``INPUTS`` wins over this.
COMMON_INPUTS: dict[str, str | None] = {
    "csrfmiddlewaretoken": None, "lang": None, "language": None, "next": None, "page": None,
    "limit": None, "offset": None, "cursor": None, "purpose": None, "purposes": None,
    "reason": None, "include_retired": None, "key": None, "id": None, "pk": None,
    "status": None, "kind": None, "category": None, "categories": None, "scope": None,
    "since": None, "until": None, "before": None, "after": None,
}


def _modules():
    for config in apps.get_app_configs():
        if not config.name.startswith("piwarden."):
            continue
        name = f"{config.name}.columns"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        yield config.label, module


@cache
def _declared() -> tuple[dict[str, str | None], dict[str, dict[str, str | None]]]:
    columns: dict[str, str | None] = {}
    inputs: dict[str, dict[str, str | None]] = {}
    for label, module in _modules():
        for key, category in getattr(module, "COLUMNS", {}).items():
            if key in columns:
                raise ValueError(f"column {key} is declared twice")
            columns[key] = category
        inputs[label] = dict(getattr(module, "INPUTS", {}))
    return columns, inputs


def column_map() -> dict[str, str | None]:
    """Every declared column (``app.Model.field``) and vault field (``vault:name``)."""
    from piwarden.vault import fields

    merged = dict(_declared()[0])
    merged.update({f"vault:{field.name}": field.category for field in fields.all_fields()})
    return merged


def category_of(model, field_name: str) -> str | None:
    """The category of ``model.field_name``; ``KeyError`` when the column is undeclared."""
    return _declared()[0][f"{model._meta.label}.{field_name}"]


def categories_of(model, field_names) -> set[str]:
    """The PI categories among ``field_names`` of ``model`` (undeclared ones raise)."""
    return {c for name in field_names if (c := category_of(model, name)) is not None}


def input_category(app_label: str, name: str) -> tuple[bool, str | None]:
    """``(declared, category)`` for a form field or API property of app ``app_label``: its
    app's ``INPUTS``, then a vault field of that name, then a column of that name in the app,
    then ``COMMON_INPUTS``."""
    from piwarden.vault import fields

    columns, inputs = _declared()
    own = inputs.get(app_label, {})
    if name in own:
        return True, own[name]
    vault = {field.name: field.category for field in fields.all_fields()}
    if name in vault:
        return True, vault[name]
    found = [c for key, c in columns.items()
             if key.startswith(f"{app_label}.") and key.rsplit(".", 1)[1] == name]
    if found:
        return True, next((c for c in found if c), None)
    if name in COMMON_INPUTS:
        return True, COMMON_INPUTS[name]
    return False, None


def undeclared(model_list) -> list[str]:
    """Text columns of ``model_list`` that no app declares (the completeness check)."""
    columns = _declared()[0]
    return sorted(
        f"{model._meta.label}.{field.name}"
        for model in model_list
        for field in model._meta.concrete_fields
        if isinstance(field, TEXT_FIELDS) and f"{model._meta.label}.{field.name}" not in columns)


def stale(model_list) -> list[str]:
    """Declared columns that are no longer a text column of a model (renamed or removed)."""
    present = {f"{model._meta.label}.{field.name}" for model in model_list
               for field in model._meta.concrete_fields if isinstance(field, TEXT_FIELDS)}
    return sorted(set(_declared()[0]) - present)


def unknown_categories() -> list[str]:
    """Categories the map names that the loaded catalog does not have."""
    named = {c for c in column_map().values() if c}
    named |= {c for table in _declared()[1].values() for c in table.values() if c}
    named |= {c for c in COMMON_INPUTS.values() if c}
    return selectors.unknown_keys(categories=named).get("categories", [])


# The catalog's tables describe processing, not people; a recipient's contact may name one.
COLUMNS = {
    "catalog.LegalBasis.key": None,
    "catalog.LegalBasis.name_en": None,
    "catalog.LegalBasis.name_zh": None,
    "catalog.LegalBasis.article": None,
    "catalog.LegalBasis.only_with": None,
    "catalog.LegalBasis.description": None,
    "catalog.LegalBasis.policy_ref": None,
    "catalog.LegalBasis.note": None,
    "catalog.DataCategory.key": None,
    "catalog.DataCategory.name_en": None,
    "catalog.DataCategory.name_zh": None,
    "catalog.DataCategory.description": None,
    "catalog.DataCategory.grade": None,
    "catalog.DataCategory.policy_ref": None,
    "catalog.DataCategory.note": None,
    "catalog.Purpose.key": None,
    "catalog.Purpose.name_en": None,
    "catalog.Purpose.name_zh": None,
    "catalog.Purpose.description": None,
    "catalog.Purpose.consent": None,
    "catalog.Purpose.separate": None,
    "catalog.Purpose.policy_ref": None,
    "catalog.Purpose.note": None,
    "catalog.System.key": None,
    "catalog.System.name": None,
    "catalog.System.kind": None,
    "catalog.System.region": None,
    "catalog.System.description": None,
    "catalog.Recipient.key": None,
    "catalog.Recipient.name_en": None,
    "catalog.Recipient.name_zh": None,
    "catalog.Recipient.legal_name": None,
    "catalog.Recipient.role": None,
    "catalog.Recipient.status": None,
    "catalog.Recipient.country": None,
    "catalog.Recipient.contact": "business.customer_contact",
    "catalog.Recipient.uscc": None,
    "catalog.Recipient.hosts": None,
    "catalog.Recipient.script_hosts": None,
    "catalog.Recipient.categories": None,
    "catalog.Recipient.purposes": None,
    "catalog.Recipient.policy_ref": None,
    "catalog.Recipient.note": None,
    "catalog.ProcessingActivity.key": None,
    "catalog.ProcessingActivity.name_en": None,
    "catalog.ProcessingActivity.name_zh": None,
    "catalog.ProcessingActivity.description": None,
    "catalog.ProcessingActivity.data_subjects": None,
    "catalog.ProcessingActivity.retention": None,
    "catalog.ProcessingActivity.storage_region": None,
    "catalog.ProcessingActivity.policy_ref": None,
    "catalog.ProcessingActivity.note": None,
    "catalog.StorageItem.key": None,
    "catalog.StorageItem.name": None,
    "catalog.StorageItem.kind": None,
    "catalog.StorageItem.party": None,
    "catalog.StorageItem.provider": None,
    "catalog.StorageItem.category": None,
    "catalog.StorageItem.lifetime": None,
    "catalog.StorageItem.description_en": None,
    "catalog.StorageItem.description_zh": None,
    "catalog.StorageItem.policy_ref": None,
    "catalog.CatalogRelease.sha256": None,
    "catalog.CatalogRelease.source": None,
    "catalog.CatalogRelease.handler": None,
    "catalog.CatalogRelease.policy": None,
    "catalog.CatalogRelease.functions": None,
    "catalog.CatalogRelease.collection": None,
    "catalog.CatalogRelease.counts": None,
    "catalog.CatalogRelease.loaded_by": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "parent": None,
}
