"""Staff members (privacy officers or not) and accounts holding an L4 column to export."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from piwarden.accounts.models import Account
from piwarden.roles.registry import PRIVACY_OFFICER, get


@pytest.fixture
def staff():
    def make(name, *, officer=False):
        user = get_user_model().objects.create_user(name, password="x" * 12, is_staff=True)
        if officer:
            group, _ = Group.objects.get_or_create(name=get(PRIVACY_OFFICER).group_name)
            user.groups.add(group)
        return user
    return make


@pytest.fixture
def accounts(make_subject):
    """Three accounts with an ID type (``user.id_info``: sensitive, second approver)."""
    people = []
    for n in range(3):
        user = get_user_model().objects.create_user(f"person{n}")
        people.append(Account.objects.create(user=user, subject=make_subject(),
                                             user_name=f"p{n}", id_type="passport"))
    return people
