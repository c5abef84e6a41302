from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "piwarden.rights"
    verbose_name = "Rights requests"
