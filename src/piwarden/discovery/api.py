"""The discovery API at /api/v1/discovery/: scan a website's own texts for personal information.

For API keys with ``discovery:scan`` and for staff sessions holding its permission.
"""

from django.http import JsonResponse
from django.views.decorators.debug import sensitive_variables
from ninja import Router

from piwarden.clients.auth import STAFF_OR_CLIENT, require_scope
from piwarden.clients.models import Scope
from piwarden.discovery import scanning
from piwarden.discovery.schemas import ScanBatchOut, ScanIn, ScanOut

router = Router(tags=["discovery"], auth=STAFF_OR_CLIENT)

DESCRIPTION = f"""
Finds personal information in the texts sent: PRC resident ID and passport numbers, mainland
mobile numbers, card and bank account numbers, Unified Social Credit Codes, e-mail and IP
addresses, US SSNs, US and UK phone numbers. Check digits, dates and prefixes are validated,
and numbers glued to Chinese characters are found.

Send **either** `text` (answered as `{{"findings": [...]}}`) **or** `texts`, a batch of up to
{scanning.MAX_TEXTS} (answered as `{{"results": [{{"findings": [...]}}, ...]}}`, in order).
Each text has at most {scanning.MAX_CHARS:,} characters; the body at most 8 MiB.

Each finding gives the detector `type`, its span from `start` to `end` and the catalog `category`.
**Offsets count Unicode code points** from 0, end exclusive, as Python `str` indices (not UTF-8
bytes, not UTF-16 units): `text[start:end]` is the value found. The answer never contains a
found value. The texts are not stored and not logged; one audit record per call keeps the
number of texts and of findings by type.

Refusals: 401 `UNAUTHENTICATED`; 403 `FORBIDDEN` (no `discovery:scan` scope); 413
`TOO_MANY_TEXTS`, `TEXT_TOO_LONG`, `TOO_LARGE` (the body); 422 `TEXT_REQUIRED` (neither or both
of `text` and `texts`), `UNKNOWN_TYPE`, `VALIDATION_ERROR`; 400 `INVALID_JSON`,
`INVALID_CHARACTER` (NUL or a lone surrogate).
"""

_EXAMPLE_ANSWER = {"findings": [
    {"type": "cn_mobile", "start": 4, "end": 15, "confidence": 0.9,
     "category": "user.contact.phone"},
    {"type": "cn_resident_id", "start": 19, "end": 37, "confidence": 0.99,
     "category": "user.id_info"}]}


def _findings(found) -> dict:
    return {"findings": [{"type": f.type, "start": f.start, "end": f.end,
                          "confidence": f.confidence, "category": f.category} for f in found]}


@router.post("/scan", response={200: ScanOut | ScanBatchOut}, summary="Scan texts for PI",
             description=DESCRIPTION, openapi_extra={"responses": {200: {
                 "description": "The findings of each text.",
                 "content": {"application/json": {"example": _EXAMPLE_ANSWER}}}}})
@sensitive_variables("payload")
def scan(request, payload: ScanIn):
    actor = require_scope(request, Scope.DISCOVERY_SCAN)
    if (payload.text is None) == (payload.texts is None):
        raise scanning.ScanError("TEXT_REQUIRED", "Send either text or texts.")
    texts = [payload.text] if payload.texts is None else payload.texts
    results = scanning.scan_texts(actor=actor, texts=texts, types=payload.types)
    # Serialized directly (the schemas document it), as consent's decisions are.
    if payload.texts is None:
        return JsonResponse(_findings(results[0]))
    return JsonResponse({"results": [_findings(found) for found in results]})
