"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "payments.PaymentProfile.invoice_type": 'user.financial.invoice',
    "payments.PaymentProfile.id_type": 'user.id_info',
    "payments.Order.reference": None,
    "payments.Order.description": 'user.financial.transaction',
    "payments.Order.currency": None,
    "payments.Order.status": None,
    "payments.Order.provider_token": 'user.financial.transaction',
    "payments.Order.card_last4": 'user.financial.bank_account',
    "payments.Transaction.order_reference": None,
    "payments.Transaction.kind": None,
    "payments.Transaction.status": None,
    "payments.Transaction.currency": None,
    "payments.Transaction.provider_reference": 'user.financial.transaction',
    "payments.Transaction.card_last4": 'user.financial.bank_account',
    "payments.Transaction.invoice_number": 'user.financial.invoice',
    "payments.CreditBalance.currency": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "billing": "user.financial.billing",
    "city": "user.address",
    "district": "user.address",
    "postcode": "user.address",
    "province": "user.address",
    "street": "user.address",
    "consent": "user.consent",
    "invoice_title": "user.financial.invoice",
    "tax_id": "user.financial.invoice",
    "remarks": "user.financial.payment_remarks",
    "notice_version": None,
    "refund_id": None,
}
