from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "piwarden.partners"
    verbose_name = "Partner imports"

    def ready(self):
        from piwarden.partners.subject_data import SOURCE
        from piwarden.subjects import registry

        registry.register(SOURCE)
