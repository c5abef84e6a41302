from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "piwarden.leads"
    verbose_name = "Leads"
