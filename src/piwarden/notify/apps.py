from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "piwarden.notify"
    verbose_name = "Notifications"

    def ready(self):
        from piwarden.notify import subject_data, templates

        templates.register(templates.GENERAL)
        subject_data.register()
