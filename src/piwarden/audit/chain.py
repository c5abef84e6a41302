"""Canonical serialization and hashing of audit records (the tamper-evidence).

Two levels, so the costly part stays outside the chain lock: the record's *content digest*
(SHA-256 of its canonical JSON) is computed by the writer beforehand, and the *link*
``hash = SHA-256("<prev_hash>:<seq>:<content digest>")`` is computed under the lock, in SQL on
PostgreSQL (see audit.store). Changing content breaks the digest; removing or moving a record
breaks the link.
"""

import hashlib
import json
from datetime import UTC

GENESIS_HASH = "0" * 64

CONTENT_FIELDS = (
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
)


def canonical_bytes(event) -> bytes:
    """Sorted-key compact JSON of the content fields; timestamps in UTC with microseconds."""
    return canonical_bytes_of([getattr(event, name) for name in CONTENT_FIELDS])


def canonical_bytes_of(values: list) -> bytes:
    """``canonical_bytes`` of the content fields' values, in ``CONTENT_FIELDS`` order (what
    the writer has before any record object exists)."""
    content = dict(zip(CONTENT_FIELDS, values, strict=True))
    content["occurred_at"] = content["occurred_at"].astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")
    if content["subject_id"] is not None:
        content["subject_id"] = str(content["subject_id"])
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_digest(event) -> str:
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


def content_digest_of(values: list) -> str:
    return hashlib.sha256(canonical_bytes_of(values)).hexdigest()


def link_hash(prev_hash: str, seq: int, digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{digest}".encode()).hexdigest()


def compute_hash(event) -> str:
    return link_hash(event.prev_hash, event.seq, content_digest(event))
