"""Canonical serialization and hashing of audit records (the tamper-evidence)."""

import hashlib
import json
from datetime import UTC

GENESIS_HASH = "0" * 64

CHAINED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "action",
    "subject_id",
    "object_type",
    "object_id",
    "categories",
    "purpose",
    "legal_basis",
    "request_id",
    "outcome",
    "detail",
    "prev_hash",
)


def canonical_bytes(event) -> bytes:
    """Sorted-key compact JSON of every chained field; timestamps in UTC with microseconds."""
    values = {}
    for name in CHAINED_FIELDS:
        value = getattr(event, name)
        if name == "occurred_at":
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif name == "subject_id" and value is not None:
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(event) -> str:
    return hashlib.sha256(canonical_bytes(event)).hexdigest()
