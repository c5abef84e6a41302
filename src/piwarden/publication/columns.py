"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "publication.PublishedItem.kind": None,
    "publication.PublishedItem.title_zh": 'user.profile',
    "publication.PublishedItem.title_en": 'user.profile',
    "publication.PublishedItem.body_zh": 'user.profile',
    "publication.PublishedItem.body_en": 'user.profile',
    "publication.PublishedItem.image": 'user.profile',
    "publication.PublishedItem.image_type": None,
    "publication.PublishedItem.status": None,
    "publication.PublishedItem.takedown_reason": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "item_id": None,
    "subject_id": None,
    "notify": None,
}
