"""Payment profiles, orders, transactions and prepaid credit (policy §2.1(5)).

The profile's PI (name or title, ID information, bank account, billing information, address,
invoice title and tax id, remarks) lives only in the vault; ``PaymentProfile`` holds non-PI
columns. Orders and transactions hold amounts, the payment provider's references and token, and
the last four digits of a card: never a card number, CVV or payment password.

Transactions are kept after an erasure for the legal period (E-Commerce Law Art. 31) without
the vault: their columns are enough, and ``restricted`` marks them as kept only for that duty.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject


class InvoiceType(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    COMPANY = "company", _("Company")


class PaymentProfile(models.Model):
    subject = models.OneToOneField(Subject, on_delete=models.CASCADE,
                                   related_name="payment_profile")
    invoice_type = models.CharField(max_length=16, choices=InvoiceType.choices,
                                    default=InvoiceType.PERSONAL)
    id_type = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Payment profile {self.subject_id}"


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Order(models.Model):
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="orders")
    reference = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=200, blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(max_length=16, choices=OrderStatus.choices,
                              default=OrderStatus.PENDING)
    provider_token = models.CharField(max_length=200, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Order {self.reference}"


class TransactionKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    TOP_UP = "top_up", _("Credit top-up")
    REFUND = "refund", _("Refund")


class TransactionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")


class Transaction(models.Model):
    """A transaction record: what E-Commerce Law Art. 31 requires to be kept for 3 years."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="transactions")
    order_reference = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, choices=TransactionKind.choices)
    status = models.CharField(max_length=16, choices=TransactionStatus.choices,
                              default=TransactionStatus.COMPLETED)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="CNY")
    occurred_at = models.DateTimeField(auto_now_add=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    invoice_number = models.CharField(max_length=64, blank=True)
    restricted = models.BooleanField(default=False, db_index=True,
                                     help_text="Kept after erasure only for the legal duty.")
    kept_until = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk}"


class CreditBalance(models.Model):
    """Prepaid credit: an open balance must be refunded before the account is cancelled."""

    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="credit")
    amount_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="CNY")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Credit {self.subject_id}"
