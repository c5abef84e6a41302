"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "authorities.AuthorityRequest.organ_name": None,
    "authorities.AuthorityRequest.organ_country": None,
    "authorities.AuthorityRequest.organ_kind": None,
    "authorities.AuthorityRequest.document_reference": None,
    "authorities.AuthorityRequest.activity": None,
    "authorities.AuthorityRequest.legal_basis": None,
    "authorities.AuthorityRequest.justification": None,
    "authorities.AuthorityRequest.prc_approval_reference": None,
    "authorities.AuthorityRequest.confidentiality_reference": None,
    "authorities.AuthorityRequest.requested_subjects": None,
    "authorities.AuthorityRequest.requested_categories": None,
    "authorities.AuthorityRequest.document": 'user',
    "authorities.AuthorityRequest.document_type": None,
    "authorities.AuthorityRequest.document_sha256": None,
    "authorities.AuthorityRequest.document_key": None,
    "authorities.AuthorityRequest.subjects": None,
    "authorities.AuthorityRequest.categories": None,
    "authorities.AuthorityRequest.review_notes": None,
    "authorities.AuthorityRequest.reviewed_by": None,
    "authorities.AuthorityRequest.state": None,
    "authorities.AuthorityRequest.refusal_reason": None,
    "authorities.AuthorityRequest.notice_campaign": None,
    "authorities.AuthorityRequest.entered_by": None,
    "authorities.AuthorityRequest.delivered_by": None,
    "authorities.Approval.approver": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "request_id": None,
    "confidential": None,
    "subject_ids": None,
    "content_base64": "user",
    "notes": None,
}
