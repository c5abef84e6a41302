"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "clients.ApiClient.name": None,
    "clients.ApiClient.key_prefix": None,
    "clients.ApiClient.key_hash": None,
    "clients.ApiClient.scopes": None,
}
