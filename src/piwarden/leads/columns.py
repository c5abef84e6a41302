"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "leads.Lead.status": None,
    "leads.Lead.channel": None,
    "leads.Lead.notice_version": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "contact_ok": "user.consent",
    "message": "inquiry.message",
    "started": None,
    "website": None,
}
