"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "transfers.TransferRecord.country": None,
    "transfers.TransferRecord.categories": None,
    "transfers.TransferRecord.important_data": None,
    "transfers.TransferRecord.mechanism": None,
    "transfers.TransferRecord.exemption_reason": None,
    "transfers.TransferRecord.reference": None,
    "transfers.TransferRecord.recipient_obligations": None,
    "transfers.TransferRecord.notice_zh": None,
    "transfers.TransferRecord.notice_en": None,
    "transfers.TransferRecord.status": None,
    "transfers.TransferRecord.updated_by": None,
    "transfers.Hold.subject_ids": None,
    "transfers.Hold.categories": None,
    "transfers.Hold.context": None,
    "transfers.Hold.reason": None,
    "transfers.Hold.released_by": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "year": None,
    "released": None,
    "record_id": None,
    "effective_on": None,
    "valid_until": None,
    "flow": None,
    "filed_on": None,
    "hold_id": None,
}
