from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "piwarden.consent"
    verbose_name = "Consent ledger"

    def ready(self):
        from piwarden.consent import subject_data

        subject_data.register()
