"""The one column -> category map (V-5.1a): complete, and naming only catalog categories."""

import pytest
from django.apps import apps

from piwarden.catalog import columns


def _project_models():
    return [m for m in apps.get_models() if m.__module__.startswith("piwarden.")]


def test_v_5_1a_every_text_column_of_the_project_is_declared():
    """Every column that can hold a value (text, JSON, IP, binary, file) names its category or
    is declared as holding no PI."""
    assert columns.undeclared(_project_models()) == []


def test_v_5_1a_the_map_declares_no_column_that_does_not_exist():
    """A renamed or removed column leaves no declaration behind."""
    assert columns.stale(_project_models()) == []


@pytest.mark.django_db
def test_v_5_1a_every_category_the_map_names_is_in_the_loaded_catalog():
    assert columns.unknown_categories() == []


def test_vault_fields_are_in_the_map_with_their_category():
    mapping = columns.column_map()
    assert mapping["vault:id_number"] == "user.id_info"
    assert mapping["vault:phone"] == "user.contact.phone"


def test_an_undeclared_column_is_found():
    """The completeness check can fail: a model with a text column nobody declared."""
    from piwarden.exports.models import FileExport

    field = FileExport._meta.get_field("reason")
    assert f"exports.FileExport.{field.name}" not in columns.undeclared([FileExport])
    declared = columns._declared()[0].pop("exports.FileExport.reason")
    try:
        assert columns.undeclared([FileExport]) == ["exports.FileExport.reason"]
    finally:
        columns._declared()[0]["exports.FileExport.reason"] = declared
