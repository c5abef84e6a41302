"""Who holds which role.

Holding a role is membership of its group (``role:<key>``) while its grant is in force: a
grant past its expiry no longer counts here even before the job or the middleware has ended
its membership (``services.expire_due``).
"""

from django.contrib.auth import get_user_model
from django.utils import timezone

from piwarden.roles.registry import ROLES, get


def _expired(user) -> set[str]:
    from piwarden.roles.models import Grant

    return set(Grant.objects.filter(user=user, applied=True, expires_at__lte=timezone.now())
               .values_list("key", flat=True))


def has_role(user, key: str) -> bool:
    """A superuser holds every role (the operator's account)."""
    if not (user and user.is_active):
        return False
    if user.is_superuser:
        return True
    return (user.groups.filter(name=get(key).group_name).exists()
            and key not in _expired(user))


def users_with_role(key: str):
    from piwarden.roles.models import Grant

    lapsed = Grant.objects.filter(key=key, applied=True, expires_at__lte=timezone.now())
    return (get_user_model().objects.filter(is_active=True, groups__name=get(key).group_name)
            .exclude(pk__in=lapsed.values("user_id")))


def held_roles(user) -> list[str]:
    """The keys of the roles ``user`` holds (every role for a superuser)."""
    if not (user and user.is_active):
        return []
    if user.is_superuser:
        return list(ROLES)
    prefix = "role:"
    names = user.groups.filter(name__startswith=prefix).values_list("name", flat=True)
    keys = [name[len(prefix):] for name in names if name[len(prefix):] in ROLES]
    lapsed = _expired(user) if keys else set()
    return [key for key in keys if key not in lapsed]


def purposes_of(user) -> frozenset[str]:
    """The catalog purposes the roles of ``user`` may process PI for."""
    return frozenset(p for key in held_roles(user) for p in ROLES[key].purposes)
