from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    name = "piwarden.transfers"
    verbose_name = _("Cross-border transfers")

    def ready(self):
        from piwarden.sharing import guards
        from piwarden.transfers import checks, subject_data  # noqa: F401 (checks register)
        from piwarden.transfers.guard import TransferGuard

        guards.register(TransferGuard())
        subject_data.register()
