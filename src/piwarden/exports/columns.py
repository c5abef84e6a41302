"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "exports.FileExport.source": None,
    "exports.FileExport.params": None,
    "exports.FileExport.categories": None,
    "exports.FileExport.grade": None,
    "exports.FileExport.reason": None,
    "exports.FileExport.status": None,
}
