from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "piwarden.clients"
    verbose_name = "API clients"
