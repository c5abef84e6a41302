from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "piwarden.outbox"
    verbose_name = "Outbox"
