from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "piwarden.web"
    verbose_name = "Web front"
