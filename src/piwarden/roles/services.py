"""Make the role groups match the registry (run by ``piwarden roles sync`` and the demo)."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.roles.registry import ROLES


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.filter(content_type__app_label=app_label,
                                               codename=codename).first()
        if permission is None:
            raise LookupError(f"no permission {name}")
        found.append(permission)
    return found


@transaction.atomic
def sync_groups(*, actor: Actor) -> int:
    """Create each role's group and set its permissions; returns how many roles."""
    for role in ROLES.values():
        group, _ = Group.objects.get_or_create(name=role.group_name)
        group.permissions.set(_permissions(role.permissions))
    audit.record(actor=actor, action="roles.groups_synced", detail={"roles": sorted(ROLES)})
    return len(ROLES)


@transaction.atomic
def grant(*, actor: Actor, user, key: str) -> None:
    group, _ = Group.objects.get_or_create(name=ROLES[key].group_name)
    user.groups.add(group)
    audit.record(actor=actor, action="roles.granted", detail={"user": user.pk, "role": key})
