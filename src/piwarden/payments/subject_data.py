"""The payments app in the subject-data registry: export, erase, cancellation pre-checks and
the retention of transactions kept after an erasure."""

from django.urls import reverse

from piwarden.audit.actors import Actor
from piwarden.payments import services
from piwarden.payments.models import CreditBalance, Order, PaymentProfile, Transaction
from piwarden.subjects.models import Subject
from piwarden.subjects.registry import Reminder, Retention, Source
from piwarden.vault import services as vault

# Exporting is answering an access request (legal obligation): it works even after the
# separate consent for payment.invoicing was withdrawn (catalog: rights.payment_data_access).
EXPORT_PURPOSE = "rights.requests"


def export(subject: Subject) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {}
    profile = PaymentProfile.objects.filter(subject=subject).first()
    if profile is not None:
        actor = Actor.system("payments.export")
        row = {"invoice_type": profile.invoice_type, "id_type": profile.id_type,
               "updated_at": profile.updated_at.isoformat()}
        for name, field in services.FIELDS.items():
            row[name] = (vault.reveal(actor=actor, subject=subject, field=field,
                                      purpose=EXPORT_PURPOSE)
                         if vault.masked(subject, field) else None)
        tables["payment_profile"] = [row]
    orders = [{"reference": o.reference, "description": o.description,
               "amount_minor": o.amount_minor, "currency": o.currency, "status": o.status,
               "card_last4": o.card_last4, "created_at": o.created_at.isoformat()}
              for o in Order.objects.filter(subject=subject)]
    transactions = [{"kind": t.kind, "status": t.status, "amount_minor": t.amount_minor,
                     "currency": t.currency, "occurred_at": t.occurred_at.isoformat(),
                     "order_reference": t.order_reference,
                     "provider_reference": t.provider_reference, "card_last4": t.card_last4,
                     "invoice_number": t.invoice_number, "restricted": t.restricted,
                     "kept_until": t.kept_until.isoformat() if t.kept_until else None}
                    for t in Transaction.objects.filter(subject=subject)]
    credit = [{"amount_minor": c.amount_minor, "currency": c.currency}
              for c in CreditBalance.objects.filter(subject=subject)]
    for name, rows in (("orders", orders), ("transactions", transactions), ("credit", credit)):
        if rows:
            tables[name] = rows
    return tables


def erase(*, actor: Actor, subject: Subject, categories=None):
    return services.erase(actor=actor, subject=subject, categories=categories)


def precheck(subject: Subject) -> list[Reminder]:
    """What to settle before the account is cancelled: credit to refund, unpaid orders."""
    items = services.open_items(subject)
    reminders = []
    if items["balance"] > 0:
        reminders.append(Reminder(
            code="PAYMENTS_OPEN_BALANCE", blocking=True, settle_url=reverse("payments:refund"),
            message_en=f"You have {items['balance'] / 100:.2f} {items['currency']} of prepaid "
                       "credit. Request a refund before cancelling your account.",
            message_zh=f"您有 {items['balance'] / 100:.2f} "
                       f"{'元' if items['currency'] == 'CNY' else items['currency']}预付余额，"
                       "请在注销账户前申请退款。"))
    if items["pending_orders"]:
        reminders.append(Reminder(
            code="PAYMENTS_UNFINISHED_ORDERS", blocking=True, settle_url=reverse("payments:home"),
            message_en=(f"You have {items['pending_orders']} unpaid order. Cancel or pay it "
                        "before cancelling your account." if items["pending_orders"] == 1 else
                        f"You have {items['pending_orders']} unpaid orders. Cancel or pay them "
                        "before cancelling your account."),
            message_zh=f"您有 {items['pending_orders']} 个未支付订单，请在注销账户前取消或支付。"))
    if items["pending_refunds"]:
        reminders.append(Reminder(
            code="PAYMENTS_REFUND_PENDING", blocking=False, settle_url=reverse("payments:home"),
            message_en="A refund to you is still being processed.",
            message_zh="您的一笔退款仍在处理中。"))
    return reminders


SOURCE = Source(name="payments", models=(PaymentProfile, Order, Transaction, CreditBalance),
                categories=("user.name", "user.id_info", "user.address", "user.financial"),
                export=export, erase=erase)
RETENTION = Retention(name="payments.kept_transactions", activity="payment.transaction_records",
                      due=services.due_kept, expire=services.expire_kept)
