from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "piwarden.dashboard"
    verbose_name = _("Operator dashboard")

    def ready(self):
        from django.contrib import admin

        # The console's index links the dashboard first (templates/dashboard/admin_index.html).
        admin.site.index_template = "dashboard/admin_index.html"
