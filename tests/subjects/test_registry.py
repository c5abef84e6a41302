"""Every model that points at a Subject belongs to a registered source of the subject-data
registry, so no rights request (export, erasure) can forget it."""

import pytest
from django.apps import apps
from django.db import models

from piwarden.subjects import registry
from piwarden.subjects.models import Subject

# Models with a direct link to a Subject that hold nothing about the person, with the reason.
# Keep this list short: anything that says something about a person belongs to a source.
ALLOWLIST: dict[str, str] = {
    # (none yet: every current model with a Subject link is exported and erased by a source)
}


def _points_at_subject(model) -> bool:
    return any(isinstance(f, models.ForeignKey | models.OneToOneField)
               and f.related_model is Subject for f in model._meta.get_fields()
               if f.concrete)


def test_every_model_linked_to_a_subject_is_in_a_registered_source():
    """A model with a Subject FK or one-to-one that no source lists fails, named."""
    covered = {model for source in registry.sources() for model in source.models}
    missing = sorted(
        model._meta.label for model in apps.get_models()
        if model is not Subject and _points_at_subject(model)
        and model not in covered and model._meta.label not in ALLOWLIST)
    assert not missing, f"models pointing at a Subject with no registered source: {missing}"


def test_the_allowlist_names_only_existing_models_that_need_it():
    """A stale allowlist entry (model gone, or now in a source) fails too."""
    covered = {model._meta.label for source in registry.sources() for model in source.models}
    for label in ALLOWLIST:
        model = apps.get_model(label)
        assert _points_at_subject(model), label
        assert label not in covered, f"{label} is in a source: remove it from the allowlist"


def test_sources_are_complete():
    """Each source names models, categories, an export and an erase function."""
    names = [source.name for source in registry.sources()]
    assert {"accounts.account", "audit.trail", "consent.ledger", "subjectdata.requests",
            "vault.values"} <= set(names)
    for source in registry.sources():
        assert source.models and source.categories, source.name
        assert callable(source.export) and callable(source.erase), source.name


@pytest.mark.django_db
def test_source_categories_are_catalog_keys():
    from piwarden.catalog.models import DataCategory

    known = set(DataCategory.objects.values_list("key", flat=True))
    for source in registry.sources():
        assert set(source.categories) <= known, (source.name, set(source.categories) - known)
