from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "piwarden.alerts"
    verbose_name = "Alerts"

    def ready(self):
        from piwarden.alerts import subject_data

        subject_data.register()
