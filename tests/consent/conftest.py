import pytest

from piwarden.audit.actors import Actor

NOTICE = "We would like to e-mail you product news. You can withdraw at any time."


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """Every consent test reads cached decisions: none may outlive a test's rollback."""


@pytest.fixture
def person_actor(person):
    return Actor.person(person)
