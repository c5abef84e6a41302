from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "piwarden.incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from piwarden.incidents import notices, subject_data

        subject_data.register()
        notices.register()
