import pytest
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.consent import decisions
from piwarden.subjects import freshness
from piwarden.subjects.models import SubjectKind
from piwarden.subjects.services import create_subject

NOTICE = "We would like to e-mail you product news. You can withdraw at any time."


@pytest.fixture(autouse=True)
def _fresh_decision_cache(settings, tmp_path):
    """Each test gets its own freshness file, so no cached view outlives its test's rollback."""
    settings.DATA_DIR = tmp_path
    freshness.reset()
    decisions.clear_cache()
    yield
    freshness.reset()
    decisions.clear_cache()


@pytest.fixture
def make_subject(system_actor):
    def make(kind=SubjectKind.ACCOUNT_HOLDER):
        with transaction.atomic():
            return create_subject(actor=system_actor, kind=kind)
    return make


@pytest.fixture
def person(make_subject):
    return make_subject()


@pytest.fixture
def person_actor(person):
    return Actor.person(person)
