"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "policy.PolicyVersion.version": None,
    "policy.PolicyVersion.status": None,
    "policy.PolicyVersion.snapshot": None,
    "policy.PolicyVersion.classification": None,
    "policy.PolicyVersion.published_by": None,
    "policy.PolicyVersion.reconsent_campaign": None,
    "policy.PolicyVersion.notice_campaign": None,
    "policy.PolicyVersion.created_by": None,
    "policy.PolicyAcceptance.how": 'user.consent',
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "effective_at": None,
}
