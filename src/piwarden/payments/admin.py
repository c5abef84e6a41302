"""Staff console: payment data read-only and masked, read for a stated purpose and audited
(``staffreads.PurposeBoundAdmin``); kept transactions marked as restricted."""

from django.contrib import admin

from piwarden.exports.admin import export_csv_action
from piwarden.payments import services
from piwarden.payments.models import CreditBalance, Order, PaymentProfile, Transaction
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.staffreads.admin import PurposeBoundAdmin


@admin.register(PaymentProfile)
class PaymentProfileAdmin(PurposeBoundAdmin, ReadOnlyAdmin):
    mask_fields = tuple(services.FIELDS.values())
    list_display = ["subject_id", "invoice_type", "id_type", "masked", "updated_at"]
    exclude = ["subject"]
    readonly_fields = ["masked"]

    @admin.display(description="Details (masked)")
    def masked(self, obj):
        return ", ".join(f"{name}: {self.mask(obj, field)}"
                         for name, field in services.FIELDS.items()
                         if self.mask(obj, field) != "—")


@admin.register(Order)
class OrderAdmin(PurposeBoundAdmin, ReadOnlyAdmin):
    read_categories = (services.TRANSACTION_CATEGORY,)
    list_display = ["reference", "subject_id", "amount_minor", "currency", "status",
                    "card_last4", "created_at"]
    list_filter = ["status"]
    exclude = ["provider_token"]
    actions = [export_csv_action(["reference", "subject", "amount_minor", "currency",
                                  "status", "card_last4", "created_at"])]


@admin.register(Transaction)
class TransactionAdmin(PurposeBoundAdmin, ReadOnlyAdmin):
    read_categories = (services.TRANSACTION_CATEGORY,)
    list_display = ["pk", "kind", "status", "amount_minor", "currency", "occurred_at",
                    "card_last4", "invoice_number", "restricted", "kept_until"]
    list_filter = ["kind", "status", "restricted"]
    actions = [export_csv_action(["id", "subject", "kind", "status", "amount_minor",
                                  "currency", "occurred_at", "card_last4", "invoice_number"])]


@admin.register(CreditBalance)
class CreditBalanceAdmin(PurposeBoundAdmin, ReadOnlyAdmin):
    read_categories = ("user.financial.property",)
    list_display = ["subject_id", "amount_minor", "currency", "updated_at"]
