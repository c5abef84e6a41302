"""What a file export can be built from: one registry of sources.

A source says which catalog categories an export of it holds (before the file exists, so the
grade decides the approval) and builds the table (header, rows, the people in it). Any console
list is a source as ``model:<app.Model>`` with ``{"ids": [...], "fields": [...]}``; its
categories come from the one column -> category map. Other exports register their own.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from piwarden.catalog import columns
from piwarden.exports.errors import ExportError


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list]
    subjects: list = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    key: str
    categories: Callable[[dict], set[str]]
    build: Callable[[dict], Table]


_registry: dict[str, Source] = {}


def register(source: Source) -> Source:
    _registry[source.key] = source
    return source


def get(key: str) -> Source:
    if key.startswith("model:"):
        return _model_source(key)
    try:
        return _registry[key]
    except KeyError:
        raise ExportError("UNKNOWN_SOURCE", "There is no such export.", status=404) from None


def _model_source(key: str) -> Source:
    try:
        model = apps.get_model(key.removeprefix("model:"))
    except (LookupError, ValueError):
        raise ExportError("UNKNOWN_SOURCE", "There is no such export.", status=404) from None

    def fields_of(params: dict) -> list:
        names = params.get("fields") or []
        try:
            found = [model._meta.get_field(name) for name in names]
        except FieldDoesNotExist:
            raise ExportError("UNKNOWN_FIELD", "A column is not a field of this list.") from None
        if not found or any(not f.concrete for f in found):
            raise ExportError("UNKNOWN_FIELD", "A column is not a field of this list.")
        return found

    def categories(params: dict) -> set[str]:
        result = set()
        for f in fields_of(params):
            if not isinstance(f, columns.TEXT_FIELDS):
                continue  # ids, numbers, dates and flags: the map covers text columns
            try:
                category = columns.category_of(model, f.name)
            except KeyError:
                raise ExportError("UNDECLARED_COLUMN", "A column has no catalog category; "
                                  "declare it in its app's columns.py.") from None
            if category:
                result.add(category)
        return result

    def build(params: dict) -> Table:
        chosen = fields_of(params)
        names = [f.attname for f in chosen]
        has_subject = any(f.name == "subject" for f in model._meta.concrete_fields)
        query = model._default_manager.filter(pk__in=params.get("ids") or []).order_by("pk")
        rows, subjects = [], []
        for obj in query:
            rows.append([getattr(obj, name) for name in names])
            if has_subject and obj.subject_id:
                subjects.append(obj.subject_id)
        return Table(header=[f.name for f in chosen], rows=rows, subjects=subjects)

    return Source(key=key, categories=categories, build=build)

