"""The collection linter (V-5.1a): every form field and API input maps to a catalog category.

A name resolves through the one column -> category map (``catalog.columns.input_category``):
declared as a category, or declared as holding no PI. Anything else is a problem, so a new form
field or API property that collects something the catalog does not know fails the test suite
(``tests/catalog/test_linter.py``) and ``piwarden columns check``.
"""

import importlib
import inspect
import types
import typing

from django import forms
from django.apps import apps
from pydantic import BaseModel

from piwarden.catalog.columns import input_category


def _app_of(module_name: str) -> str:
    config = apps.get_containing_app_config(module_name)
    return config.label if config else module_name.split(".")[1]


def lint_form(form_class: type[forms.BaseForm], app_label: str | None = None) -> list[str]:
    """``app.Form.field`` for each field of ``form_class`` that maps to no category."""
    app_label = app_label or _app_of(form_class.__module__)
    return [f"{app_label}.{form_class.__name__}.{name}"
            for name in form_class.base_fields if not input_category(app_label, name)[0]]


def _models_in(annotation) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (``X``, ``list[X]``, ``X | None``...)."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) or \
            typing.get_args(annotation):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def lint_schema(model: type[BaseModel], app_label: str, *, where: str = "",
                _seen: set | None = None) -> list[str]:
    """Each property of a request schema (nested ones too) that maps to no category. A
    property holding a schema is a container: its own properties are checked instead."""
    seen = set() if _seen is None else _seen
    if model in seen:
        return []
    seen.add(model)
    problems = []
    for name, info in model.model_fields.items():
        inner = _models_in(info.annotation)
        if inner:
            for sub in inner:
                problems += lint_schema(sub, app_label, where=where, _seen=seen)
        elif not input_category(app_label, info.alias or name)[0]:
            problems.append(" ".join(filter(None, (app_label, where,
                                                   f"{model.__name__}.{info.alias or name}"))))
    return problems


def collection_forms() -> list[type[forms.BaseForm]]:
    """The forms defined in every ``piwarden.<app>.forms`` module."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("piwarden."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.forms":
                raise
            continue
        found += [obj for obj in vars(module).values()
                  if inspect.isclass(obj) and issubclass(obj, forms.BaseForm)
                  and obj.__module__ == module.__name__]
    return found


def lint_api() -> list[str]:
    """Every input (path, query, body, form) of every operation of the project's API."""
    from piwarden.api import api

    problems: list[str] = []
    seen: set = set()
    api.get_openapi_schema()  # binds the nested routers: only then do ``_routers`` list all
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                app_label = _app_of(operation.view_func.__module__)
                where = f"{'/'.join(operation.methods)} {prefix.rstrip('/')}{path}"
                for model in operation.models:
                    problems += lint_schema(model, app_label, where=where, _seen=seen)
    return sorted(set(problems))


def lint() -> list[str]:
    """Every uncatalogued form field and API property of the project."""
    problems = [p for form in collection_forms() for p in lint_form(form)]
    return sorted(problems) + lint_api()
