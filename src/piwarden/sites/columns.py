"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "sites.Site.domain": None,
    "sites.Site.name_en": None,
    "sites.Site.name_zh": None,
    "sites.Site.status": None,
    "sites.Offering.function": None,
    "sites.Offering.name_en": None,
    "sites.Offering.name_zh": None,
    "sites.Offering.status": None,
    "sites.Offering.campaign": None,
    "sites.Offering.report": None,
    "sites.Offering.changed_by": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "offering_id": None,
    "end_date": None,
    "notice_at": None,
}
