from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "piwarden.roles"
    verbose_name = "Staff roles"
