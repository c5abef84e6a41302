"""Fixtures of the authorities tests: the named catalog (the competent authority named, in the
PRC), the three flows to it activated, staff members (one of them legal) and a request
taken through its steps."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.catalog.services import load_catalog
from tests.sharing.conftest import (  # noqa: F401  (fixtures)
    NAMED,
    _sharing_dir,
    activate,
    person_with,
    registry_synced,
    write_named_catalog,
)

AUTHORITY = "authority.competent"
PDF = b"%PDF-1.4 court order no. (2026) Jing 0105 Xing Cha 123"
NAMED_HERE = {**NAMED, AUTHORITY: {"legal_name": "Competent authorities of the PRC",
                                   "country": "CN"}}


@pytest.fixture
def named_catalog(db, system_actor, tmp_path, fresh_caches):
    return load_catalog(actor=system_actor,
                        path=write_named_catalog(tmp_path / "named.yaml", NAMED_HERE))


@pytest.fixture
def flows(activate):  # noqa: F811
    """The three flows to the competent authorities, active."""
    return {activity: activate(activity, AUTHORITY) for activity in (
        "sharing.legal_requests", "disclosure.to_authorities", "sharing.vital_interests")}


@pytest.fixture
def make_staff(system_actor):
    """make_staff("name", legal=False) -> (user, Actor)."""
    from piwarden.roles import registry
    from tests.roles.factories import grant_role

    def make(name, *, legal=False):
        user = get_user_model().objects.create_user(name, f"{name}@operator.test", "x",
                                                    is_staff=True)
        if legal:
            grant_role(user, registry.LEGAL, actor=system_actor)
        return user, Actor.staff(user)
    return make


@pytest.fixture
def team(make_staff):
    """The clerk who enters, the lawyer who reviews, and two approvers."""
    return {name: make_staff(name, legal=name == "lawyer")[1]
            for name in ("clerk", "lawyer", "approver1", "approver2")}


def atomic(fn, **kwargs):
    with transaction.atomic():
        return fn(**kwargs)


@pytest.fixture
def enter(team):
    from piwarden.authorities import services

    def make(people, **overrides):
        values = {"organ_name": "北京市公安局朝阳分局", "organ_country": "CN",
                  "organ_kind": "police", "document_reference": "(2026) 京朝公调字 123 号",
                  "legal_basis": "exception.criminal_justice",
                  "subject_ids": [str(p.pk) for p in people],
                  "categories": ["user.name", "user.contact"], **overrides}
        return atomic(services.create_request, actor=overrides.pop("actor", team["clerk"]),
                      **values)
    return make


@pytest.fixture
def approved(enter, team):
    """A request entered, documented, reviewed for ``review_people`` and approved twice."""
    from piwarden.authorities import services

    def make(people, review_people=None, categories=("user.name",), **overrides):
        request = enter(people, **overrides)
        request = atomic(services.upload_document, actor=team["clerk"], request=request,
                         data=PDF)
        request = atomic(services.review, actor=team["lawyer"], request=request,
                         subject_ids=[str(p.pk) for p in (review_people or people)],
                         categories=list(categories), notes="Only the name is needed.")
        for approver in ("approver1", "approver2"):
            request = atomic(services.approve, actor=team[approver], request=request)
        return request
    return make
