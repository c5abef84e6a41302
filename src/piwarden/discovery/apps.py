from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "piwarden.discovery"
    verbose_name = _("PII discovery")

    def ready(self):
        from piwarden.discovery import checks  # noqa: F401 (the deploy check registers)
