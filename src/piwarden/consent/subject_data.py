"""The consent app in the subject-data registry.

Export: the current state per purpose and scope, the full ledger with the text of every
notice shown, the banner browser ids, the operator's §4.4 exceptions and the scheduled Art. 47
erasures. Erase: the ledger is evidence of each choice and is kept (catalog activity
``consent.ledger``), detached from PI: the truncated IP address, the browser string and the
operator's free-text reasons are blanked; the states are deleted (no decision allows anything
any more), the banner browser id goes, links from browsers to the account are cut, and
scheduled erasures that the run makes moot are cancelled. Paper-form scans stay with their
events, sealed under the person's vault value ``consent_evidence_key`` (category
``user.consent``): the vault's source deletes that key and the engine shreds the data key, so
the kept scans (and any copy) no longer open.
"""

from django.db.models import Q

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.caches import freshness
from piwarden.consent import services
from piwarden.consent.erasure import covered
from piwarden.consent.models import (
    BasisException,
    ConsentEvent,
    ConsentState,
    ErasureStatus,
    Notice,
    ScheduledErasure,
    Visitor,
)
from piwarden.subjects import registry
from piwarden.subjects.models import Subject
from piwarden.subjects.registry import iso

NAME = "consent.ledger"
CATEGORIES = ("user.consent", "user.online_id.cookie")



def export(subject: Subject) -> dict[str, list[dict]]:
    events = list(ConsentEvent.objects.filter(subject=subject).order_by("occurred_at", "id")
                  .select_related("notice"))
    notices = Notice.objects.filter(pk__in={e.notice_id for e in events}).order_by("created_at")
    visitor = Visitor.objects.filter(subject=subject)
    linked = Visitor.objects.filter(linked_to=subject)
    return {
        "states": [{"purpose": s.purpose, "scope": s.scope, "choice": s.choice,
                    "policy_version": s.policy_version, "changed_at": iso(s.changed_at)}
                   for s in ConsentState.objects.filter(subject=subject)
                   .order_by("purpose", "scope")],
        "events": [{"occurred_at": iso(e.occurred_at), "purpose": e.purpose, "scope": e.scope,
                    "choice": e.choice, "bundled": e.bundled,
                    "policy_version": e.policy_version, "channel": e.channel,
                    "notice": e.notice.sha256, "ip_prefix": e.ip_prefix,
                    "user_agent": e.user_agent, "evidence_file": bool(e.evidence),
                    "by": e.actor_kind} for e in events],
        "notices": [{"notice": n.sha256, "text": n.text} for n in notices],
        "browsers": [{"browser_id": str(v.visitor_id), "created_at": iso(v.created_at),
                      "relation": relation}
                     for relation, rows in (("this browser", visitor), ("linked", linked))
                     for v in rows],
        "exceptions": [{"purpose": x.purpose, "legal_basis": x.legal_basis,
                        "reason": x.reason, "recorded_at": iso(x.recorded_at),
                        "expires_at": iso(x.expires_at), "revoked_at": iso(x.revoked_at)}
                       for x in BasisException.objects.filter(subject=subject)],
        "scheduled_erasures": [{"purpose": x.purpose, "categories": ", ".join(x.categories),
                                "due_at": iso(x.due_at), "status": x.status,
                                "done_at": iso(x.done_at)}
                               for x in ScheduledErasure.objects.filter(subject=subject)],
    }


def _delete_unsealed_scans(subject: Subject) -> int:
    """Scans stored before sealing are plaintext on disk: shredding the key cannot reach
    them, so they are deleted (the event stays as evidence, without its scan)."""
    unsealed = [event for event in ConsentEvent.objects.filter(subject=subject,
                                                               evidence_id=None)
                .exclude(evidence="") if services.stored_unsealed(event)]
    for event in unsealed:
        event.evidence.delete(save=False)
    ConsentEvent.objects.filter(pk__in=[e.pk for e in unsealed]).update(evidence="")
    return len(unsealed)


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    from piwarden.subjectdata.services import retention_until

    result = registry.Erased()
    if categories is not None:
        # Scheduled Art. 47 erasures of categories erased now have nothing left to do.
        for erasure in ScheduledErasure.objects.filter(subject=subject,
                                                       status=ErasureStatus.PENDING):
            if all(covered(c, categories) for c in erasure.categories):
                _cancel(erasure)
        if not any(covered(c, categories) for c in CATEGORIES):
            return result
    else:
        for erasure in ScheduledErasure.objects.filter(subject=subject,
                                                       status=ErasureStatus.PENDING):
            _cancel(erasure)
    result.erased += ConsentState.objects.filter(subject=subject).delete()[0]
    result.erased += Visitor.objects.filter(subject=subject).delete()[0]
    result.anonymized += Visitor.objects.filter(linked_to=subject).update(linked_to=None)
    # QuerySet.update: events are immutable to save(); only PI columns are blanked here.
    result.anonymized += (ConsentEvent.objects.filter(subject=subject)
                          .filter(~Q(ip_prefix="") | ~Q(user_agent=""))
                          .update(ip_prefix="", user_agent=""))
    result.anonymized += (BasisException.objects.filter(subject=subject).exclude(reason="")
                          .update(reason=""))
    if categories is None:
        result.erased += _delete_unsealed_scans(subject)
    freshness.subject_changed(subject.pk)
    freshness.changed(freshness.EXCEPTIONS)
    if ConsentEvent.objects.filter(subject=subject).exists():
        result.kept.append(registry.Kept(
            category="user.consent", legal_basis="legal_obligation",
            until=retention_until("consent.ledger"),
            reason="The consent ledger is evidence of each grant, refusal and withdrawal "
                   "(catalog activity consent.ledger); it no longer holds the IP address or "
                   "browser, and is used for nothing else."))
    audit.record(actor=actor, action="consent.subject_erased", subject=subject,
                 categories=CATEGORIES, purpose="rights.requests",
                 legal_basis="legal_obligation",
                 detail={"erased": result.erased, "anonymized": result.anonymized,
                         "ledger_kept": bool(result.kept)})
    return result


def _cancel(erasure: ScheduledErasure) -> None:
    erasure.status = ErasureStatus.CANCELLED
    erasure.outcome = {"cancelled": "superseded by an erasure request"}
    erasure.save(update_fields=["status", "outcome"])


def register() -> None:
    registry.register(registry.Source(
        name=NAME, categories=CATEGORIES, export=export, erase=erase,
        models=(ConsentEvent, ConsentState, Visitor, BasisException, ScheduledErasure)))
