from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "piwarden.notify"
    verbose_name = "Notifications"
