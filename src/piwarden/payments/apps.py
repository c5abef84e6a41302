from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "piwarden.payments"
    verbose_name = "Payments and invoices"
