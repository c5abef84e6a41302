from django.apps import AppConfig


class SubjectdataConfig(AppConfig):
    name = "piwarden.subjectdata"
    verbose_name = "Subject data (export and erasure)"

    def ready(self):
        from piwarden.subjectdata import subject_data

        subject_data.register()
