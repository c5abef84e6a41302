from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "piwarden.policy"
    verbose_name = _("Privacy policy")

    def ready(self):
        from piwarden.policy import campaigns, subject_data  # noqa: F401 (registers templates)

        subject_data.register()
