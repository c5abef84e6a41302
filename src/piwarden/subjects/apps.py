from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "piwarden.subjects"
    verbose_name = "Data subjects"
