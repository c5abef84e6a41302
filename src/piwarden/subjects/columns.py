"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "subjects.Subject.kind": None,
    "subjects.Subject.status": None,
}
