"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "notify.Campaign.title": None,
    "notify.Campaign.kind": None,
    "notify.Campaign.template": None,
    "notify.Campaign.fields": None,
    "notify.Campaign.audience": None,
    "notify.Campaign.audience_params": None,
    "notify.Campaign.channels": None,
    "notify.Campaign.concerns_type": None,
    "notify.Campaign.concerns_id": None,
    "notify.Campaign.status": None,
    "notify.Campaign.created_by": None,
    "notify.Campaign.approved_by": None,
    "notify.Campaign.counts": None,
    "notify.Campaign.cursor": None,
    "notify.Delivery.channel": None,
    "notify.Delivery.status": None,
    "notify.Delivery.language": None,
    "notify.Delivery.called_by": None,
    "notify.PhoneTask.channel": None,
    "notify.PhoneTask.status": None,
    "notify.PhoneTask.language": None,
    "notify.PhoneTask.called_by": None,
    "notify.Announcement.title_en": None,
    "notify.Announcement.title_zh": None,
    "notify.Announcement.body_en": None,
    "notify.Announcement.body_zh": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "campaign_id": None,
    "require_ack": None,
}
