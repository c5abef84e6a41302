from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransactionsConfig(AppConfig):
    name = "piwarden.transactions"
    verbose_name = _("Corporate transactions")

    def ready(self):
        from piwarden.sharing import guards
        from piwarden.transactions import notices, subject_data
        from piwarden.transactions.guards import TransactionGuard

        notices.register()
        subject_data.register()
        guards.register(TransactionGuard())
