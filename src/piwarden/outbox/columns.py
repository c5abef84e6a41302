"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "outbox.Message.channel": None,
    "outbox.Message.kind": None,
    "outbox.Message.audience": None,
    "outbox.Message.source": None,
    "outbox.Message.destination": 'user.contact',
    "outbox.Message.payload": 'user.communication.content',
    "outbox.Message.sealed": 'user.communication.content',
    "outbox.Message.wrapped_key": None,
    "outbox.Message.idempotency_key": None,
    "outbox.Message.status": None,
    "outbox.Message.last_error": None,
    "outbox.Message.concerns_type": None,
    "outbox.Message.concerns_id": None,
    "outbox.Message.queued_by": None,
}
