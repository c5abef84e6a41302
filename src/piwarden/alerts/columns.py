"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "alerts.Alert.kind": None,
    "alerts.Alert.severity": None,
    "alerts.Alert.source": None,
    "alerts.Alert.summary": None,
    "alerts.Alert.detail": None,
    "alerts.Alert.objects_concerned": None,
    "alerts.Alert.status": None,
}
