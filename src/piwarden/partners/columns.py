"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "partners.Partner.recipient": None,
    "partners.Partner.name": None,
    "partners.ImportBatch.reference": None,
    "partners.ImportBatch.notice_version": None,
    "partners.PartnerRecord.external_id": 'user.partner_supplied',
    "partners.PartnerRecord.categories": None,
    "partners.PartnerRecord.authorization_reference": None,
    "partners.PartnerRecord.authorization_categories": None,
    "partners.PartnerRecord.authorization_purposes": None,
    "partners.PartnerRecord.notice_version": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "records": "user.partner_supplied",
}
