from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "piwarden.web"
    verbose_name = "Web front"

    def ready(self):
        from piwarden.web import checks  # noqa: F401 (registers the deploy checks)
