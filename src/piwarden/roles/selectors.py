"""Who holds which role."""

from django.contrib.auth import get_user_model

from piwarden.roles.registry import ROLES, get


def has_role(user, key: str) -> bool:
    """Holding a role is membership of its group; a superuser holds every role."""
    if not (user and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=get(key).group_name).exists()


def users_with_role(key: str):
    return get_user_model().objects.filter(is_active=True, groups__name=get(key).group_name)


def held_roles(user) -> list[str]:
    """The keys of the roles ``user`` holds (every role for a superuser)."""
    if not (user and user.is_active):
        return []
    if user.is_superuser:
        return list(ROLES)
    prefix = "role:"
    names = user.groups.filter(name__startswith=prefix).values_list("name", flat=True)
    return [name[len(prefix):] for name in names if name[len(prefix):] in ROLES]


def purposes_of(user) -> frozenset[str]:
    """The catalog purposes the roles of ``user`` may process PI for."""
    return frozenset(p for key in held_roles(user) for p in ROLES[key].purposes)
