from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "piwarden.collection"
    verbose_name = "Collection"
