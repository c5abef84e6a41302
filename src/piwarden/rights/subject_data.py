"""The rights app's own data in the subject-data registry.

Request records are evidence that the handler answered (PIPL Art. 50, policy §IX): an erasure
keeps the rows (type, dates, status, without the free text or the evidence file) for three
years after the request was closed (activity ``rights.request_handling``, P3Y), under the legal
obligation, and reports them as ``Kept``. The retention sweep then deletes them.

Evidence files are sealed under the person's vault value ``rights_evidence_key``: an erasure
deletes the files, and the vault's own source deletes the key (category
``user.rights_request``) and shreds it, so a copy of a file (a backup) no longer opens either.
The retention sweep deletes the key with the person's last evidence file.
"""

import datetime
import json

from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.rights import services
from piwarden.rights.models import CLOSED_STATUSES, CodeChallenge, RequestEvent, RightsRequest
from piwarden.subjects.registry import Erased, Kept, Retention, Source
from piwarden.vault import services as vault

RETENTION = datetime.timedelta(days=3 * 365)


def export(subject) -> dict[str, list[dict]]:
    requests = list(RightsRequest.objects.filter(subject=subject).order_by("received_at"))
    rows, events = [], []
    for req in requests:
        rows.append({
            "id": str(req.pk), "type": req.type, "channel": req.channel, "status": req.status,
            "received_at": req.received_at.isoformat(), "due_date": req.due_date.isoformat(),
            "due_provisional": req.due_provisional, "params": _scalars(req.params),
            "details": services.details(req), "staff_note": req.staff_note,
            "refusal_reason": req.refusal_reason, "answer": req.answer,
            "closed_at": req.closed_at.isoformat() if req.closed_at else None,
        })
    for event in RequestEvent.objects.filter(request__subject=subject).order_by("at", "id"):
        events.append({"request": str(event.request_id), "at": event.at.isoformat(),
                       "from": event.status_from, "to": event.status_to, "note": event.note})
    return {"rights_requests": rows, "rights_request_events": events}


def _scalars(params: dict) -> str:
    import json

    return json.dumps(params, sort_keys=True)


def _covers_requests(categories) -> bool:
    return categories is None or any(
        c == "user.rights_request" or "user.rights_request".startswith(c + ".")
        for c in categories)


def erase(*, actor, subject, categories) -> Erased:
    if not _covers_requests(categories):
        return Erased()
    result = Erased()
    if vault.delete(actor=actor, subject=subject, field=services.DETAILS_FIELD,
                    purpose=services.PURPOSE):
        result.erased += 1
    requests = RightsRequest.objects.filter(subject=subject)
    for req in requests:
        changed = []
        if req.evidence:
            req.evidence.delete(save=False)
            changed.append("evidence")
        if req.has_details:
            req.has_details = False
            changed.append("has_details")
        if changed:
            req.save(update_fields=changed)
            result.anonymized += 1
    if requests.exists():
        # open requests (e.g. the cancellation being carried out) close about now
        last = max(r.closed_at or timezone.now() for r in requests)
        result.kept.append(Kept(
            category="user.rights_request", legal_basis="legal_obligation",
            until=(last + RETENTION).date(),
            reason="Record that the request was received and answered (PIPL Art. 50); "
                   "type, dates and status only."))
    return result


def _expired(before):
    return RightsRequest.objects.filter(status__in=CLOSED_STATUSES, closed_at__lt=before)


def due(before) -> int:
    return _expired(before).count()


def expire(*, actor, before, limit: int) -> int:
    """Delete closed requests past their retention, with their details and evidence."""
    with transaction.atomic():
        rows = list(_expired(before).select_related("subject").order_by("closed_at")[:limit])
        for req in rows:
            if req.has_details:
                held = services._all_details(req.subject)
                if held.pop(str(req.pk), None) is not None:
                    if held:
                        vault.put(actor=actor, subject=req.subject, field=services.DETAILS_FIELD,
                                  value=json.dumps(held, ensure_ascii=False),
                                  purpose=services.PURPOSE)
                    else:
                        vault.delete(actor=actor, subject=req.subject,
                                     field=services.DETAILS_FIELD, purpose=services.PURPOSE)
            if req.evidence:
                req.evidence.delete(save=False)
            audit.record(actor=actor, action="rights.request_expired", subject=req.subject,
                         categories=["user.rights_request"], purpose=services.PURPOSE,
                         legal_basis="legal_obligation",
                         detail={"request": str(req.pk), "type": req.type})
            req.delete()
            _forget_evidence_key(actor, req.subject)
    return len(rows)


def _forget_evidence_key(actor, subject) -> None:
    """The evidence key goes with the person's last evidence file."""
    if not RightsRequest.objects.filter(subject=subject).exclude(evidence="").exists():
        vault.delete(actor=actor, subject=subject, field=services.EVIDENCE_KEY,
                     purpose=services.PURPOSE)


SOURCE = Source(name="rights.requests", models=(RightsRequest,),
                categories=("user.rights_request",), export=export, erase=erase)
RETENTION_KIND = Retention(name="rights.requests", activity="rights.request_handling", due=due,
                           expire=expire)


def export_challenges(subject) -> dict[str, list[dict]]:
    """Codes sent by the public form (when, until when, attempts); never the code."""
    return {"rights_code_challenges": [
        {"id": str(c.pk), "sent_at": c.created_at.isoformat(),
         "expires_at": c.expires_at.isoformat(), "attempts": c.attempts, "used": c.used}
        for c in CodeChallenge.objects.filter(subject=subject).order_by("created_at")]}


def erase_challenges(*, actor, subject, categories) -> Erased:
    if not _covers_requests(categories):
        return Erased()
    deleted, _ = CodeChallenge.objects.filter(subject=subject).delete()
    if deleted:
        audit.record(actor=actor, action="rights.code_challenges_erased", subject=subject,
                     categories=["user.rights_request"], purpose=services.PURPOSE,
                     legal_basis="legal_obligation", detail={"challenges": deleted})
    return Erased(erased=deleted)


CHALLENGES = Source(name="rights.code_challenges", models=(CodeChallenge,),
                    categories=("user.rights_request",), export=export_challenges,
                    erase=erase_challenges)
