"""The role registry is data that must match the catalog and the console's permissions."""

import pytest

from piwarden.catalog.models import Purpose
from piwarden.roles import registry, services
from piwarden.staffreads.admin import PurposeBoundAdmin
from tests.roles.factories import OPERATOR

pytestmark = pytest.mark.django_db


def test_z_1_every_role_purpose_is_a_catalog_purpose():
    """Z-1: a role's purposes are catalog purpose keys (a misspelt one would open nothing)."""
    known = set(Purpose.objects.filter(retired=False).values_list("key", flat=True))
    assert known, "the catalog is loaded for tests"
    for role in registry.ROLES.values():
        assert set(role.purposes) <= known, (role.key, set(role.purposes) - known)


def test_every_role_permission_exists():
    assert services.sync_groups(actor=OPERATOR) == len(registry.ROLES)


def test_z_1_every_purpose_bound_console_page_is_open_to_some_role():
    """Z-1: each console page that shows PI has a role holding its view permission."""
    from django.contrib import admin

    held = {perm for role in registry.ROLES.values() for perm in role.permissions}
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, PurposeBoundAdmin):
            perm = f"{model._meta.app_label}.view_{model._meta.model_name}"
            assert perm in held, perm
