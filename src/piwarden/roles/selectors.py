"""Who holds which role."""

from django.contrib.auth import get_user_model

from piwarden.roles.registry import get


def has_role(user, key: str) -> bool:
    """Holding a role is membership of its group; a superuser holds every role."""
    if not (user and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=get(key).group_name).exists()


def users_with_role(key: str):
    return get_user_model().objects.filter(is_active=True, groups__name=get(key).group_name)
