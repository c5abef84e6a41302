"""Stating a purpose in the console, as a staff member does (a POST of the purpose form)."""


def state_purpose(client, model: str, purpose: str) -> None:
    """``model``: ``app/model`` as in the admin URL, e.g. ``collection/event``."""
    response = client.post(f"/admin/{model}/purpose/", {"purpose": purpose})
    assert response.status_code == 302, response.content.decode()[:500]


def give_role(user, key: str) -> None:
    """Holding a role is membership of its group (``roles.selectors.has_role``)."""
    from django.contrib.auth.models import Group

    Group.objects.get_or_create(name=f"role:{key}")[0].user_set.add(user)
