from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "piwarden.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
