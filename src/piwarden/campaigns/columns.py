"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "campaigns.Campaign.name": None,
    "campaigns.Campaign.location": None,
    "campaigns.Campaign.partner": None,
    "campaigns.CampaignEntry.via": None,
    "campaigns.CampaignEntry.notice_version": None,
    "campaigns.CampaignEntry.scan_content_type": None,
    "campaigns.CampaignEntry.fields": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "value": "user",
    "occupation": "user.occupation",
    "scan": "user.consent",
    "title": "user.title",
    "password": "user.credentials.password",
    "username": "user.account.username",
    "entries": None,
    "leads": None,
}
