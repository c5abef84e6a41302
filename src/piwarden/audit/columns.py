"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "audit.ActorWatch.actor_kind": None,
    "audit.ActorWatch.actor_id": None,
    "audit.ActorWatch.networks": "user.log.ip_address",
    "audit.AuditEvent.actor_kind": None,
    "audit.AuditEvent.actor_id": None,
    "audit.AuditEvent.action": None,
    "audit.AuditEvent.object_type": None,
    "audit.AuditEvent.object_id": None,
    "audit.AuditEvent.categories": None,
    "audit.AuditEvent.purpose": None,
    "audit.AuditEvent.legal_basis": None,
    "audit.AuditEvent.request_id": None,
    "audit.AuditEvent.outcome": None,
    "audit.AuditEvent.detail": None,
    "audit.AuditEvent.prev_hash": None,
    "audit.AuditEvent.hash": None,
    "audit.ChainHead.hash": None,
    "audit.ChainHead.prev_hash": None,
    "audit.ChainCheck.requested_by": None,
    "audit.ChainCheck.head_hash": None,
    "audit.ChainCheck.problem": None,
}
