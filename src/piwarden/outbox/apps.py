from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "piwarden.outbox"
    verbose_name = "Outbox"

    def ready(self):
        from piwarden.outbox import subject_data
        from piwarden.subjects import registry

        registry.register(subject_data.SOURCE)
