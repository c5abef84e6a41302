from django.apps import AppConfig


class StaffReadsConfig(AppConfig):
    name = "piwarden.staffreads"
    label = "staffreads"
    verbose_name = "Staff reads"

    def ready(self):
        from piwarden.staffreads import subject_data
        from piwarden.subjects import registry

        registry.register(subject_data.SOURCE)
