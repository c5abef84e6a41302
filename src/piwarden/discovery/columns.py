"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

# Reports name places, detector types and categories, never a value: a place whose name held
# PI (a file named after an ID number) is stored redacted.
COLUMNS: dict[str, str | None] = {
    "discovery.Report.ran_by": None,
    "discovery.Report.sources": None,
    "discovery.Report.skipped": None,
    "discovery.Finding.kind": None,
    "discovery.Finding.location": None,
    "discovery.Finding.type": None,
    "discovery.Finding.category": None,
    "discovery.Finding.declaration": None,
    "discovery.Finding.declared_category": None,
    "discovery.Finding.fingerprint": None,
    "discovery.Finding.status": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field. The texts
# sent to be scanned are read and answered, never stored: they are no store of PI.
INPUTS = {
    "text": None,
    "texts": None,
    "types": None,
}
