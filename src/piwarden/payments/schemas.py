"""Request and response shapes of the payments API.

Request bodies are read by ``api._body``: it scans the raw JSON for card data before these
models validate it, and its validation errors never echo a submitted value.
"""

import uuid
from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict


class ProfileIn(Schema):
    model_config = ConfigDict(extra="forbid")
    notice_version: str | None = None
    consent: bool = False
    invoice_type: str | None = None
    name: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    bank_account: str | None = None
    billing: str | None = None
    address: dict[str, str] | None = None
    invoice_title: str | None = None
    tax_id: str | None = None
    remarks: str | None = None


class PaymentProfileOut(Schema):
    exists: bool
    invoice_type: str | None
    id_type: str
    name: str | None
    id_number: str | None
    bank_account: str | None
    billing: str | None
    address: str | None
    invoice_title: str | None
    tax_id: str | None
    remarks: str | None


class OrderIn(Schema):
    model_config = ConfigDict(extra="forbid")
    subject: uuid.UUID
    reference: str
    amount_minor: int
    currency: str = "CNY"
    description: str = ""


class PaymentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    provider_reference: str
    provider_token: str = ""
    card_last4: str = ""
    invoice_number: str = ""


class TopUpIn(Schema):
    model_config = ConfigDict(extra="forbid")
    subject: uuid.UUID
    amount_minor: int
    currency: str = "CNY"
    provider_reference: str = ""
    card_last4: str = ""


class RefundCompleteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    provider_reference: str


class OrderOut(Schema):
    reference: str
    description: str
    amount_minor: int
    currency: str
    status: str
    card_last4: str
    created_at: datetime


class PaymentTransactionOut(Schema):
    id: int
    kind: str
    status: str
    amount_minor: int
    currency: str
    occurred_at: datetime
    order_reference: str
    provider_reference: str
    card_last4: str
    invoice_number: str
    kept_until: date | None = None


class BalanceOut(Schema):
    balance: int
    currency: str
    pending_orders: int
    pending_refunds: int
