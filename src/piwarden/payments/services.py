"""Writers of the payments app: the payment profile (sensitive PI, separate consent), orders,
transactions, prepaid credit and refunds, erasure and the expiry of kept transactions.

Card data never gets this far: every submission is scanned first (``carddata``) and refused
whole when a field holds a card number, CVV or payment password. The profile is stored only
with the separate consent for sensitive PI (PIPL Art. 29) for ``payment.invoicing``.
"""

import json
import re
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from piwarden import identifiers
from piwarden.accounts import validators
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import Account
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.consent import notices
from piwarden.consent import services as consent
from piwarden.consent.decisions import decide
from piwarden.consent.erasure import covered
from piwarden.discovery import screening
from piwarden.errors import ServiceError
from piwarden.payments import carddata, conf
from piwarden.payments.models import (
    CreditBalance,
    InvoiceType,
    Order,
    OrderStatus,
    PaymentProfile,
    Transaction,
    TransactionKind,
    TransactionStatus,
)
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.subjects.registry import Erased, Kept
from piwarden.vault import services as vault
from piwarden.vault.errors import InvalidValue

PURPOSE = "payment.invoicing"
# Profile input → vault field. Categories come from the vault's field registry.
FIELDS = {
    "name": "payments_name", "id_number": "payments_id_number", "bank_account": "bank_account",
    "billing": "payments_billing", "address": "payments_address",
    "invoice_title": "payments_invoice_title", "tax_id": "payments_tax_id",
    "remarks": "payments_remarks",
}
TRANSACTION_CATEGORY = "user.financial.transaction"
_LAST4 = re.compile(r"^\d{4}$")
_REFERENCE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class PaymentError(ServiceError):
    """``fields``: the form fields at fault (the pages mark them; the API lists them)."""

    def __init__(self, status: int, code: str, message: str, *, fields: list[str] | None = None):
        super().__init__(code, message, status=status,
                         detail={"fields": fields} if fields else None)
        self.fields = fields or []


def categories_of(names) -> list[str]:
    from piwarden.vault import fields

    return sorted({fields.get(FIELDS[name]).category for name in names})


def profile_separate_notice():
    """The payment profile's separate consent notice (issue 17 point 4): what (the profile's
    categories), why, for how long, the effect of refusing; shown before the tick."""
    from piwarden.catalog.models import Purpose

    return notices.separate_notice(Purpose.objects.get(key=PURPOSE), "separate.sensitive",
                                   consent.policy_version(), categories=categories_of(FIELDS))


def profile_notice() -> str:
    """The text the ledger records with the payment profile's separate consent."""
    return profile_separate_notice().text


def refuse_card_data(data, *, exempt: frozenset[str] = carddata.LUHN_EXEMPT) -> None:
    """Raise 422 CARD_DATA_REFUSED naming the fields (never their values)."""
    hits = carddata.refused_fields(data, exempt=exempt)
    if hits:
        raise PaymentError(422, "CARD_DATA_REFUSED",
                           _("Card numbers, security codes and payment passwords are never "
                             "accepted. Pay in the payment provider's own form."), fields=hits)


def profile_exempt(data: dict) -> frozenset[str]:
    """An ID number or tax id that passed its own check digit is not a card number."""
    exempt = set(carddata.LUHN_EXEMPT)
    try:
        validators.id_number(str(data.get("id_type") or ""), str(data.get("id_number") or ""))
        if data.get("id_type") == "prc_resident_id":
            exempt.add("id_number")
    except AccountError:
        pass
    if identifiers.is_uscc(_compact_uscc(data.get("tax_id"))):
        exempt.add("tax_id")
    return frozenset(exempt)


def _compact_uscc(value) -> str:
    """A tax id as typed (spaces, dashes, lower case) in the form ``identifiers.is_uscc``
    checks."""
    return re.sub(r"[\s-]", "", str(value or "")).upper()


@sensitive_variables("data", "values")
def _clean_profile(data: dict) -> tuple[dict[str, str], str, str]:
    """(vault values by input name, invoice type, id type); PaymentError on a bad field."""
    values = {name: str(data[name]).strip() for name in FIELDS
              if name != "address" and data.get(name) not in (None, "")}
    invoice_type = data.get("invoice_type") or InvoiceType.PERSONAL
    if invoice_type not in InvoiceType.values:
        raise PaymentError(422, "INVOICE_TYPE_INVALID", _("Choose a personal or company invoice."),
                           fields=["invoice_type"])
    id_type = ""
    if "id_number" in values:
        try:
            values["id_number"], _born = validators.id_number(str(data.get("id_type") or ""),
                                                              values["id_number"])
        except AccountError as exc:
            raise PaymentError(422, exc.code, exc.message, fields=[exc.field]) from None
        id_type = data["id_type"]
    if invoice_type == InvoiceType.COMPANY:
        if not values.get("invoice_title") or not values.get("tax_id"):
            raise PaymentError(422, "COMPANY_INVOICE_INCOMPLETE",
                               _("A company invoice needs the company title and its tax id."),
                               fields=["invoice_title", "tax_id"])
        values["tax_id"] = _compact_uscc(values["tax_id"])
        if not identifiers.is_uscc(values["tax_id"]):
            raise PaymentError(422, "TAX_ID_INVALID",
                               _("This is not a valid Unified Social Credit Code."),
                               fields=["tax_id"])
    address = data.get("address")
    if address:
        values["address"] = address if isinstance(address, str) else json.dumps(address)
    from piwarden.vault import fields

    for name, value in values.items():
        try:
            fields.get(FIELDS[name]).normalize(value)
        except InvalidValue:
            raise PaymentError(422, "VALUE_INVALID", _("This value is not valid."),
                               fields=[name]) from None
    if not values:
        raise PaymentError(422, "NO_DATA", _("Enter at least one detail."))
    return values, invoice_type, id_type


@sensitive_variables("data", "values")
def save_profile(*, account: Account, data: dict, consent_given: bool,
                 notice_version: str | None, channel: str = "web", ip: str | None = None,
                 user_agent: str = "") -> PaymentProfile:
    """Store the given payment and invoice details (the others stay as they are).

    Order of refusals: card data (422), notice version (422/409), invalid fields (422), then
    the separate consent (403 unless ticked now or granted before and not withdrawn).
    """
    refuse_card_data(data, exempt=profile_exempt(data))
    notices.check_version(notice_version)
    values, invoice_type, id_type = _clean_profile(data)
    subject, actor = account.subject, Actor.person(account.subject)
    categories = categories_of(values)
    with transaction.atomic():
        if consent_given:
            try:
                consent.grant(actor=actor, subject=subject, purpose=PURPOSE,
                              scope="separate.sensitive", notice_text=profile_notice(),
                              channel="api" if channel == "api" else "web", ip=ip,
                              user_agent=user_agent)
            except consent.ConsentError as exc:
                raise PaymentError(409, "CONSENT_NOT_RECORDED",
                                   _("Your consent could not be recorded."),
                                   fields=[exc.code]) from None
        elif not decide(subject.pk, PURPOSE, categories).allowed:
            raise PaymentError(403, "SEPARATE_CONSENT_REQUIRED",
                               _("Payment and invoice details are saved only with your separate "
                                 "consent."), fields=["consent"])
        if "remarks" in values:
            values["remarks"] = screening.screen(
                values["remarks"], actor=actor, subject=subject, purpose=PURPOSE,
                field=FIELDS["remarks"], source="payments.save_profile", max_length=1000).text
        profile, _created = PaymentProfile.objects.get_or_create(subject=subject)
        for name, value in values.items():
            vault.put(actor=actor, subject=subject, field=FIELDS[name], value=value,
                      purpose=PURPOSE)
        profile.invoice_type = invoice_type
        if id_type:
            profile.id_type = id_type
        profile.save(update_fields=["invoice_type", "id_type", "updated_at"])
        audit.record(actor=actor, action="payments.profile_saved", subject=subject, obj=profile,
                     categories=categories, purpose=PURPOSE, legal_basis="consent.separate",
                     detail={"fields": sorted(values), "channel": channel,
                             "invoice_type": invoice_type})
    return profile


@transaction.atomic
def delete_profile(*, actor: Actor, subject: Subject, categories: set[str] | None = None) -> int:
    """Remove the payment and invoice details (all, or those of ``categories``): the person's
    choice, or an erasure. The profile row goes with the last value."""
    from piwarden.vault import fields

    names = [name for name, field in FIELDS.items()
             if categories is None or covered(fields.get(field).category, categories)]
    removed = [name for name in names
               if vault.delete(actor=actor, subject=subject, field=FIELDS[name], purpose=PURPOSE)]
    deleted = 0
    if not any(vault.masked(subject, field) for field in FIELDS.values()):
        deleted, _ = PaymentProfile.objects.filter(subject=subject).delete()
    if removed or deleted:
        audit.record(actor=actor, action="payments.profile_deleted", subject=subject,
                     categories=categories_of(removed or FIELDS), purpose=PURPOSE,
                     legal_basis="consent.separate", detail={"fields": sorted(removed)})
    return len(removed) + deleted


def masked_profile(subject: Subject) -> dict:
    profile = PaymentProfile.objects.filter(subject=subject).first()
    values = {name: vault.masked(subject, field) for name, field in FIELDS.items()}
    return {"exists": profile is not None and any(values.values()),
            "invoice_type": profile.invoice_type if profile else None,
            "id_type": profile.id_type if profile else "", **values}


# --- orders, transactions, credit ----------------------------------------------------------

MAX_BALANCE_MINOR = 2**63 - 1  # the balance column is a signed 64-bit integer

def _check_money(amount_minor: int, currency: str) -> None:
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise PaymentError(422, "AMOUNT_INVALID", "amount_minor must be a positive integer.",
                           fields=["amount_minor"])
    if not _CURRENCY.match(currency or ""):
        raise PaymentError(422, "CURRENCY_INVALID", "currency must be an ISO 4217 code.",
                           fields=["currency"])


def _check_card_refs(card_last4: str, reference: str = "") -> None:
    if card_last4 and not _LAST4.match(card_last4):
        raise PaymentError(422, "LAST4_INVALID", "card_last4 is exactly four digits.",
                           fields=["card_last4"])
    if reference and not _REFERENCE.match(reference):
        raise PaymentError(422, "REFERENCE_INVALID", "A reference is 1-64 letters, digits, "
                                                     "dots, dashes, colons or underscores.",
                           fields=["reference"])


def payer(subject_id) -> Subject:
    subject = Subject.objects.filter(pk=subject_id, kind=SubjectKind.ACCOUNT_HOLDER).first()
    if subject is None:
        raise PaymentError(404, "NOT_FOUND", "There is no such account holder.")
    return subject


def _active(subject: Subject) -> None:
    if subject.status != SubjectStatus.ACTIVE:
        raise PaymentError(409, "SUBJECT_INACTIVE", "This person's data is no longer processed.")


def _record(actor, action, subject, obj, detail):
    audit.record(actor=actor, action=action, subject=subject, obj=obj,
                 categories=[TRANSACTION_CATEGORY], purpose=PURPOSE, legal_basis="contract",
                 detail=detail)


@transaction.atomic
def create_order(*, actor: Actor, subject: Subject, reference: str, amount_minor: int,
                 currency: str = "CNY", description: str = "") -> Order:
    _active(subject)
    _check_money(amount_minor, currency)
    _check_card_refs("", reference)
    if Order.objects.filter(reference=reference).exists():
        raise PaymentError(409, "ORDER_EXISTS", "An order with this reference exists.")
    order = Order.objects.create(subject=subject, reference=reference, currency=currency,
                                 amount_minor=amount_minor, description=description[:200])
    _record(actor, "payments.order_created", subject, order,
            {"reference": reference, "amount_minor": amount_minor, "currency": currency})
    return order


@transaction.atomic
def record_payment(*, actor: Actor, order: Order, provider_reference: str,
                   provider_token: str = "", card_last4: str = "",
                   invoice_number: str = "") -> Transaction:
    """The provider confirmed the payment: the order is paid, the transaction recorded."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PENDING:
        raise PaymentError(409, "ORDER_NOT_PENDING", f"The order is {order.status}.")
    _check_card_refs(card_last4, provider_reference)
    order.status, order.provider_token, order.card_last4 = OrderStatus.PAID, provider_token, \
        card_last4
    order.save(update_fields=["status", "provider_token", "card_last4", "updated_at"])
    record = Transaction.objects.create(
        subject=order.subject, order_reference=order.reference, kind=TransactionKind.PAYMENT,
        amount_minor=order.amount_minor, currency=order.currency,
        provider_reference=provider_reference, card_last4=card_last4,
        invoice_number=invoice_number[:64])
    _record(actor, "payments.payment_recorded", order.subject, record,
            {"order": order.reference, "amount_minor": order.amount_minor})
    return record


@transaction.atomic
def cancel_order(*, actor: Actor, order: Order) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PENDING:
        raise PaymentError(409, "ORDER_NOT_PENDING", _("Only an unpaid order can be cancelled."))
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    _record(actor, "payments.order_cancelled", order.subject, order,
            {"order": order.reference})
    return order


@transaction.atomic
def top_up(*, actor: Actor, subject: Subject, amount_minor: int, currency: str = "CNY",
           provider_reference: str = "", card_last4: str = "") -> Transaction:
    _active(subject)
    _check_money(amount_minor, currency)
    _check_card_refs(card_last4, provider_reference)
    balance, _ = CreditBalance.objects.select_for_update().get_or_create(
        subject=subject, defaults={"currency": currency})
    if balance.currency != currency and balance.amount_minor:
        raise PaymentError(409, "CURRENCY_MISMATCH", "The credit is held in another currency.")
    if balance.amount_minor + amount_minor > MAX_BALANCE_MINOR:
        raise PaymentError(422, "BALANCE_TOO_LARGE",
                           "The credit would pass the largest balance that can be held.",
                           fields=["amount_minor"])
    balance.amount_minor += amount_minor
    balance.currency = currency
    balance.save(update_fields=["amount_minor", "currency", "updated_at"])
    record = Transaction.objects.create(
        subject=subject, kind=TransactionKind.TOP_UP, amount_minor=amount_minor,
        currency=currency, provider_reference=provider_reference, card_last4=card_last4)
    _record(actor, "payments.credit_topped_up", subject, record, {"amount_minor": amount_minor})
    return record


@transaction.atomic
def request_refund(*, actor: Actor, subject: Subject) -> Transaction:
    """Refund the whole open balance: the credit drops to zero and a pending refund waits for
    the provider's confirmation (``complete_refund``)."""
    balance = CreditBalance.objects.select_for_update().filter(subject=subject).first()
    if balance is None or balance.amount_minor <= 0:
        raise PaymentError(409, "NO_BALANCE", _("There is no balance to refund."))
    record = Transaction.objects.create(
        subject=subject, kind=TransactionKind.REFUND, status=TransactionStatus.PENDING,
        amount_minor=balance.amount_minor, currency=balance.currency)
    balance.amount_minor = 0
    balance.save(update_fields=["amount_minor", "updated_at"])
    _record(actor, "payments.refund_requested", subject, record,
            {"amount_minor": record.amount_minor})
    return record


@transaction.atomic
def complete_refund(*, actor: Actor, refund: Transaction, provider_reference: str) -> Transaction:
    refund = Transaction.objects.select_for_update().get(pk=refund.pk)
    if refund.kind != TransactionKind.REFUND or refund.status != TransactionStatus.PENDING:
        raise PaymentError(409, "REFUND_NOT_PENDING", "This is not a pending refund.")
    _check_card_refs("", provider_reference)
    refund.status, refund.provider_reference = TransactionStatus.COMPLETED, provider_reference
    refund.save(update_fields=["status", "provider_reference"])
    _record(actor, "payments.refund_completed", refund.subject, refund, {})
    return refund


# --- erasure and retention -----------------------------------------------------------------

def kept_until(occurred_at) -> date:
    occurred = timezone.localdate(occurred_at)
    try:
        return occurred.replace(year=occurred.year + conf.retention_years())
    except ValueError:  # 29 February
        return occurred.replace(year=occurred.year + conf.retention_years(), day=28)


@transaction.atomic
def erase(*, actor: Actor, subject: Subject, categories=None) -> Erased:
    """Delete the profile (vault values), orders and credit; keep transactions, restricted.

    Transactions keep amount, currency, time, provider reference, invoice number and last four
    digits: none of it needs the vault, whose key the erasure destroys. The provider's payment
    token goes. Idempotent: a second run deletes nothing and reports the same kept records.
    """
    wanted = None if categories is None else set(categories)
    result = Erased()
    result.erased += delete_profile(actor=actor, subject=subject, categories=wanted)
    if wanted is None or covered(TRANSACTION_CATEGORY, wanted):
        orders, _ = Order.objects.filter(subject=subject).delete()
        credit = 0
        if wanted is None:
            credit, _ = CreditBalance.objects.filter(subject=subject, amount_minor=0).delete()
        kept = 0
        for record in Transaction.objects.filter(subject=subject, restricted=False):
            record.restricted, record.kept_until = True, kept_until(record.occurred_at)
            record.save(update_fields=["restricted", "kept_until"])
            kept += 1
        result.erased += orders + credit
        result.anonymized += kept
        if orders or credit or kept:
            audit.record(actor=actor, action="payments.erased", subject=subject,
                         categories=[TRANSACTION_CATEGORY], purpose=PURPOSE,
                         legal_basis="legal_obligation",
                         detail={"orders_deleted": orders, "credit_deleted": credit,
                                 "transactions_restricted": kept})
        held = (Transaction.objects.filter(subject=subject, restricted=True)
                .order_by("-kept_until").values_list("kept_until", flat=True).first())
        if held:
            result.kept.append(Kept(
                category=TRANSACTION_CATEGORY, legal_basis="legal_obligation", until=held,
                reason="E-Commerce Law Art. 31: transaction records are kept at least 3 years "
                       "after the transaction; restricted from any other use."))
        if CreditBalance.objects.filter(subject=subject, amount_minor__gt=0).exists():
            result.kept.append(Kept(
                category="user.financial.property", legal_basis="legal_obligation", until=None,
                reason="An open prepaid balance is owed to the person until it is refunded."))
    return result


def _expired(before):
    """Kept transactions past both the catalog period (older than ``before``) and the
    configured legal period (``kept_until``, which may be longer)."""
    return Transaction.objects.filter(restricted=True, occurred_at__lt=before,
                                      kept_until__lt=timezone.localdate())


def due_kept(before) -> int:
    return _expired(before).count()


def expire_kept(*, actor: Actor, before, limit: int) -> int:
    with transaction.atomic():
        ids = list(_expired(before).order_by("occurred_at").values_list("pk", flat=True)[:limit])
        if not ids:
            return 0
        deleted, _ = Transaction.objects.filter(pk__in=ids).delete()
        audit.record(actor=actor, action="payments.kept_transactions_expired",
                     categories=[TRANSACTION_CATEGORY], purpose="retention.legal",
                     legal_basis="legal_obligation", detail={"deleted": deleted})
    return deleted


def open_items(subject: Subject) -> dict:
    balance = CreditBalance.objects.filter(subject=subject).first()
    return {
        "balance": balance.amount_minor if balance else 0,
        "currency": balance.currency if balance else "CNY",
        "pending_orders": Order.objects.filter(subject=subject,
                                               status=OrderStatus.PENDING).count(),
        "pending_refunds": Transaction.objects.filter(
            subject=subject, kind=TransactionKind.REFUND, status=TransactionStatus.PENDING,
            restricted=False).count(),
    }

