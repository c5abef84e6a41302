"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "collection.Event.source": None,
    "collection.Event.event_id": None,
    "collection.Event.kind": 'user.log.usage',
    "collection.Event.activity": None,
    "collection.Event.ip": 'user.log.ip_address',
    "collection.Event.url": 'user.log.url',
    "collection.Event.referrer": 'user.log.url',
    "collection.Event.download": 'user.log.usage',
    "collection.Event.browser": 'user.log.browser',
    "collection.Event.os": 'user.log.software',
    "collection.Event.device_type": 'user.device.attributes',
    "collection.Event.language": 'user.device.attributes',
    "collection.Event.network_type": 'user.device.connection',
    "collection.Event.screen": 'user.device.attributes',
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "events": "user.log",
}
