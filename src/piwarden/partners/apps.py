from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "piwarden.partners"
    verbose_name = "Partner imports"
