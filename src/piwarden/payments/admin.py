"""Staff console: payment data read-only and masked; kept transactions marked as restricted."""

from django.contrib import admin

from piwarden.payments import services
from piwarden.payments.models import CreditBalance, Order, PaymentProfile, Transaction
from piwarden.readonly_admin import ReadOnlyAdmin


@admin.register(PaymentProfile)
class PaymentProfileAdmin(ReadOnlyAdmin):
    list_display = ["subject_id", "invoice_type", "id_type", "masked", "updated_at"]
    exclude = ["subject"]
    readonly_fields = ["masked"]

    @admin.display(description="Details (masked)")
    def masked(self, obj):
        profile = services.masked_profile(obj.subject)
        return ", ".join(f"{name}: {profile[name]}" for name in services.FIELDS if profile[name])


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["reference", "subject_id", "amount_minor", "currency", "status",
                    "card_last4", "created_at"]
    list_filter = ["status"]
    exclude = ["provider_token"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "status", "amount_minor", "currency", "occurred_at",
                    "card_last4", "invoice_number", "restricted", "kept_until"]
    list_filter = ["kind", "status", "restricted"]


@admin.register(CreditBalance)
class CreditBalanceAdmin(ReadOnlyAdmin):
    list_display = ["subject_id", "amount_minor", "currency", "updated_at"]
