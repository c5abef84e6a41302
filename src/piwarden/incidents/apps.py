from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "piwarden.incidents"
    verbose_name = "Incidents"
