"""Fixtures of the policy tests: drafts made from the shipped catalog and terms, and new
catalog releases naming a new policy version."""

import copy

import pytest
from django.utils import timezone

from piwarden.catalog.models import CatalogRelease
from piwarden.policy import services, snapshot


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    yield


@pytest.fixture
def terms():
    """A copy of the shipped terms, to change for the next version."""
    return copy.deepcopy(snapshot.read_terms())


def release(version: str) -> CatalogRelease:
    """A new catalog release naming ``version`` (the same rows, as a reload would)."""
    from piwarden.consent import decisions

    latest = CatalogRelease.objects.order_by("-loaded_at", "-id").first()
    decisions.clear_cache()  # consent's current version is the latest release's
    return CatalogRelease.objects.create(
        sha256=latest.sha256, source=latest.source, schema_version=latest.schema_version,
        handler=latest.handler, policy={**latest.policy, "version": version},
        functions=latest.functions, collection=latest.collection, counts=latest.counts,
        loaded_at=timezone.now(), loaded_by="tests")


@pytest.fixture
def published(db, system_actor):
    """The shipped catalog's version (2026.1), published."""
    draft = services.create_draft(actor=system_actor)
    return services.publish(actor=system_actor, version=draft.version)


def draft_next(actor, terms, version="2026.2"):
    release(version)
    return services.create_draft(actor=actor, terms=terms)
