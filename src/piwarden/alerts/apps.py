from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "piwarden.alerts"
    verbose_name = "Alerts"
