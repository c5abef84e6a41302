from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "piwarden.sharing"
    verbose_name = "Sharing: recipients, flows and the disclosure register"

    def ready(self):
        from piwarden.sharing import subject_data

        subject_data.register()
