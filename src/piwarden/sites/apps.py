from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "piwarden.sites"
    verbose_name = "Sites and services"
