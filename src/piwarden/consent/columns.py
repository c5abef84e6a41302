"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "consent.Notice.sha256": None,
    "consent.Notice.text": None,
    "consent.ConsentEvent.purpose": 'user.consent',
    "consent.ConsentEvent.scope": 'user.consent',
    "consent.ConsentEvent.recipient": 'user.consent',
    "consent.ConsentEvent.choice": 'user.consent',
    "consent.ConsentEvent.policy_version": 'user.consent',
    "consent.ConsentEvent.channel": 'user.consent',
    "consent.ConsentEvent.evidence": 'user.consent',
    "consent.ConsentEvent.ip_prefix": 'user.log.ip_address',
    "consent.ConsentEvent.user_agent": 'user.log.browser',
    "consent.ConsentEvent.actor_kind": None,
    "consent.ConsentEvent.actor_id": None,
    "consent.ConsentEvent.request_id": None,
    "consent.ConsentState.purpose": 'user.consent',
    "consent.ConsentState.scope": 'user.consent',
    "consent.ConsentState.recipient": 'user.consent',
    "consent.ConsentState.choice": 'user.consent',
    "consent.ConsentState.policy_version": 'user.consent',
    "consent.BasisException.purpose": None,
    "consent.BasisException.legal_basis": None,
    "consent.BasisException.reason": None,
    "consent.BasisException.recorded_by": None,
    "consent.ScheduledErasure.purpose": None,
    "consent.ScheduledErasure.categories": None,
    "consent.ScheduledErasure.status": None,
    "consent.ScheduledErasure.outcome": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "subject_id": None,
    "subject": None,
    "action": "user.consent",
    "choices": "user.consent",
    "gpc": "user.consent",
    "inventory": None,
    "visitor_id": "user.online_id.cookie",
    "ip": "user.log.ip_address",
    "notice_text": None,
    "notice_digest": None,  # which separate notice the person read, a digest of its text
}
