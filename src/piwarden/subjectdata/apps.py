from django.apps import AppConfig


class SubjectdataConfig(AppConfig):
    name = "piwarden.subjectdata"
    verbose_name = "Subject data (export and erasure)"
