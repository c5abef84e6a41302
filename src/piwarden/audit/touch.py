"""The people an audit record names besides its one ``subject``: the ``AuditSubject`` rows.

One record per action, however many people it touched (a batch, a list, an API read). The
record's ``detail["touched"]`` holds ``{"count": n, "sha256": <hex>}``: SHA-256 over the
touched subject ids in their canonical text form (``str(uuid)``), sorted, joined by newlines.
The detail is inside the record's hash, so ``verify`` can tell a child row removed or added.
"""

import hashlib
import uuid
from collections.abc import Iterable

from django.db import transaction

from piwarden import bulk
from piwarden.audit.models import AuditSubject

KEY = "touched"


def ids(items: Iterable) -> list[uuid.UUID]:
    """Subjects or subject ids (UUIDs or their text) as sorted, distinct UUIDs."""
    found = {item if isinstance(item, uuid.UUID)
             else uuid.UUID(item) if isinstance(item, str)
             else item.pk for item in items}
    return sorted(found, key=str)


def digest(subject_ids: Iterable) -> str:
    """The digest of a list of subject ids (any order, UUIDs or their text)."""
    texts = sorted({str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(str(value)))
                    for value in subject_ids})
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()


def summary(sorted_ids: list[uuid.UUID]) -> dict:
    return {"count": len(sorted_ids),
            "sha256": hashlib.sha256("\n".join(map(str, sorted_ids)).encode()).hexdigest()}


def write(pairs: list[tuple[int, list[uuid.UUID]]]) -> None:
    """The child rows of freshly appended records, in one bulk append (COPY on PostgreSQL)."""
    connection = transaction.get_connection()
    as_db = (lambda value: value) if connection.vendor == "postgresql" else (lambda v: v.hex)
    bulk.append(AuditSubject, ("event", "subject"),
                [(event_id, as_db(subject_id)) for event_id, subject_ids in pairs
                 for subject_id in subject_ids])


def named_in(events: list) -> dict[int, list]:
    """The subject ids each of these records names in child rows (one query for the lot)."""
    if not events:
        return {}
    low, high = min(e.pk for e in events), max(e.pk for e in events)
    named: dict[int, list] = {}
    for event_id, subject_id in (AuditSubject.objects.filter(event__gte=low, event__lte=high)
                                 .values_list("event_id", "subject_id").iterator(2000)):
        named.setdefault(event_id, []).append(subject_id)
    return named


def mismatch(event, subject_ids) -> str:
    """Why a record's child rows do not match the digest it holds ("" when they do)."""
    held = event.detail.get(KEY) if isinstance(event.detail, dict) else None
    if held is None:
        return ("it names people in child rows it never listed (rows added)"
                if subject_ids else "")
    if len(subject_ids) != held.get("count") or digest(subject_ids) != held.get("sha256"):
        return (f"the people it names ({len(subject_ids)} child rows) do not match its digest "
                f"of {held.get('count')} (rows removed, added or changed)")
    return ""
