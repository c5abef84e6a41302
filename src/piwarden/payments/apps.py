from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "piwarden.payments"
    verbose_name = "Payments and invoices"

    def ready(self):
        from piwarden.payments import subject_data
        from piwarden.subjects import registry
        from piwarden.vault.fields import (
            VaultField,
            mask_address,
            mask_id_number,
            mask_text,
            normalize_address,
            normalize_id_number,
            register,
        )

        for name, category in (("payments_name", "user.name"),
                               ("payments_billing", "user.financial.billing"),
                               ("payments_invoice_title", "user.financial.invoice"),
                               ("payments_remarks", "user.financial.payment_remarks")):
            register(VaultField(name, category, mask=mask_text))
        register(VaultField("payments_id_number", "user.id_info", normalize=normalize_id_number,
                            mask=mask_id_number))
        register(VaultField("payments_tax_id", "user.financial.invoice",
                            normalize=normalize_id_number, mask=mask_id_number))
        register(VaultField("payments_address", "user.address", normalize=normalize_address,
                            mask=mask_address))
        registry.register(subject_data.SOURCE)
        registry.register_precheck("payments", subject_data.precheck)
        registry.register_retention(subject_data.RETENTION)
