"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "transactions.CorporateTransaction.title": None,
    "transactions.CorporateTransaction.kind": None,
    "transactions.CorporateTransaction.parties": None,
    "transactions.CorporateTransaction.recipient": None,
    "transactions.CorporateTransaction.categories": None,
    "transactions.CorporateTransaction.audience": None,
    "transactions.CorporateTransaction.subject_ids": None,
    "transactions.CorporateTransaction.policy_version_label": None,
    "transactions.CorporateTransaction.undertaking_reference": None,
    "transactions.CorporateTransaction.processing_change": None,
    "transactions.CorporateTransaction.status": None,
    "transactions.CorporateTransaction.campaign_id": None,
    "transactions.CorporateTransaction.provision_id": None,
    "transactions.CorporateTransaction.created_by": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "transaction_id": None,
    "size": None,
    "channels": None,
    "event_en": None,
    "event_zh": None,
    "change": None,
    "reference": None,
    "signed_on": None,
}
