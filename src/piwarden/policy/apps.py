from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "piwarden.policy"
    verbose_name = "Privacy policy"

    def ready(self):
        from piwarden.policy import campaigns, subject_data  # noqa: F401 (registers templates)

        subject_data.register()
