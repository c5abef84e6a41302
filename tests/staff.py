"""A logged-in staff member with some of one app's permissions, for console tests."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client


def staff_client(app_label: str, *codenames: str, name: str = "clerk") -> Client:
    """A Client logged in as a new staff user holding ``app_label``'s ``codenames``; the user
    is ``client.user``."""
    user = get_user_model().objects.create_user(name, f"{name}@operator.test", "x",
                                                is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label=app_label,
                                                         codename__in=codenames))
    client = Client()
    client.force_login(user)
    client.user = user
    return client
