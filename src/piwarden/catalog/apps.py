from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "piwarden.catalog"
    verbose_name = "Data catalog"
