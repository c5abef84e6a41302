"""The catalog category of each text column of this app (``None``: holds no PI).

An unmask request names a person (its subject) and which of their fields staff asked to see,
never the value. Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "staffreads.UnmaskRequest.category": None,
    "staffreads.UnmaskRequest.field": None,
    "staffreads.UnmaskRequest.purpose": None,
    "staffreads.UnmaskRequest.reason": None,
    "staffreads.UnmaskRequest.status": None,
}
