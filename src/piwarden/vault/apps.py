from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "piwarden.vault"
    verbose_name = "PI vault"
