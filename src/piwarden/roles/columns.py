"""The catalog category of each text column of this app (``None``: holds no PI of the
website's data subjects). The personnel registry holds staff records (an employee's signed
agreement, sealed), which the website's catalog does not describe.

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "roles.AccessReview.quarter": None,
    "roles.AccessReviewLine.decision": None,
    "roles.Grant.key": None,
    "roles.Grant.kind": None,
    "roles.Grant.reason": None,
    "roles.StaffMember.agreement": None,
    "roles.StaffMember.agreement_key": None,
    "roles.StaffMember.agreement_sha256": None,
    "roles.StaffMember.agreement_type": None,
    "roles.StaffSession.session_key": None,
}
