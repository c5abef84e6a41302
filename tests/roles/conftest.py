import pytest

from piwarden.roles import registry, services
from tests.roles.factories import OPERATOR, grant_role, staff_user


@pytest.fixture
def groups(db):
    services.sync_groups(actor=OPERATOR)


@pytest.fixture
def officer(groups):
    """A privacy officer (granted by the operator's shell, as the first one is)."""
    user = staff_user("officer")
    grant_role(user, registry.PRIVACY_OFFICER)
    return user


@pytest.fixture
def security(groups):
    user = staff_user("security")
    grant_role(user, registry.SECURITY_OFFICER)
    return user
