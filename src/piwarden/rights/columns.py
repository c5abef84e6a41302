"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "rights.RightsRequest.type": None,
    "rights.RightsRequest.channel": None,
    "rights.RightsRequest.status": None,
    "rights.RightsRequest.params": 'user.rights_request',
    "rights.RightsRequest.staff_note": 'user.rights_request',
    "rights.RightsRequest.refusal_reason": 'user.rights_request',
    "rights.RightsRequest.answer": 'user.rights_request',
    "rights.RightsRequest.evidence": 'user.rights_request',
    "rights.RequestEvent.status_from": None,
    "rights.RequestEvent.status_to": None,
    "rights.RequestEvent.actor": None,
    "rights.RequestEvent.note": 'user.rights_request',
    "rights.OfficialDay.note": None,
    "rights.CodeChallenge.digest": "user.credentials.verification_code",
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "confirm": None,
    "notice_version": None,
    "code": "user.credentials.verification_code",
    "field": None,
    "text": "user.rights_request",
    "value": "user.contact",
    "request_id": None,
    "subject": None,
    "verified": None,
}
