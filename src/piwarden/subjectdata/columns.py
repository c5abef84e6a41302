"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "subjectdata.ExportArchive.status": None,
    "subjectdata.ExportArchive.lang": None,
    "subjectdata.ExportArchive.request_ref": None,
    "subjectdata.ExportArchive.sources": None,
    "subjectdata.ExportArchive.wrapped_key": None,
    "subjectdata.ErasureRun.status": None,
    "subjectdata.ErasureRun.categories": None,
    "subjectdata.ErasureRun.reason": 'user.rights_request',
    "subjectdata.ErasureRun.request_ref": None,
    "subjectdata.ErasureRun.progress": None,
    "subjectdata.ErasureRun.certificate": 'user.rights_request',
    # the SHA-256 of a certificate link's random token: not PI, names nobody
    "subjectdata.CertificateLink.token_hash": None,
}
