"""Scanning texts that a caller sends (the API and the console's "Scan a text" page).

The texts are read, answered and forgotten: nothing stores or logs them. One audit record per
call names who scanned how many texts and how many findings of each type there were (types,
categories and counts, never a value), so an incident can tell which key sent what kind of PI.
"""

from collections import Counter
from collections.abc import Iterable, Sequence

from django.db import transaction

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.discovery import TYPES, Finding, scan
from piwarden.errors import ServiceError

MAX_TEXTS = 100
MAX_CHARS = 100_000
ACTION = "discovery.texts_scanned"


class ScanError(ServiceError):
    pass


def check_request(texts: Sequence[str], types: Iterable[str] | None) -> None:
    """Refuse a batch over the limits (413) or unknown detector types (422)."""
    if len(texts) > MAX_TEXTS:
        raise ScanError("TOO_MANY_TEXTS", f"At most {MAX_TEXTS} texts per request.",
                        status=413, detail={"max_texts": MAX_TEXTS})
    too_long = [index for index, text in enumerate(texts) if len(text) > MAX_CHARS]
    if too_long:
        raise ScanError("TEXT_TOO_LONG", f"A text has more than {MAX_CHARS} characters.",
                        status=413, detail={"indexes": too_long, "max_chars": MAX_CHARS})
    unknown = sorted(set(types or ()) - TYPES.keys())
    if unknown:
        raise ScanError("UNKNOWN_TYPE", "Some detector types are not known.",
                        detail={"unknown": unknown, "known": sorted(TYPES)})


def scan_texts(*, actor: Actor, texts: Sequence[str],
               types: Iterable[str] | None = None) -> list[list[Finding]]:
    """The findings of each text (only ``types`` when given), after one audit record."""
    check_request(texts, types)
    wanted = set(types) if types else None
    results = [[found for found in scan(text) if wanted is None or found.type in wanted]
               for text in texts]
    counts = Counter(found.type for findings in results for found in findings)
    with transaction.atomic():
        audit.record(actor=actor, action=ACTION,
                     categories={TYPES[kind] for kind in counts},
                     detail={"texts": len(texts), "findings": dict(sorted(counts.items()))})
    return results
