"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "vault.DataKey.wrapped": None,
    "vault.VaultValue.field": None,
    "vault.VaultValue.ciphertext": 'user',
    "vault.VaultValue.mask": 'user',
    "vault.VaultValue.blind_index": 'user',
}
