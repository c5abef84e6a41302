"""The leads app in the subject-data registry: export, erasure and retention of requests."""

from piwarden.audit.actors import Actor
from piwarden.leads import selectors, services
from piwarden.leads.models import Lead
from piwarden.subjects.models import Subject
from piwarden.subjects.registry import Erased

CATEGORIES = tuple(sorted({category for category, _key in services.FIELDS.values()}))


def _iso(value):
    return value.isoformat() if value else None


def export(subject: Subject) -> dict[str, list[dict]]:
    """Every request made as this lead or claimed by this account, values decrypted."""
    rows = []
    for lead in selectors.held_by(subject):
        values = services.owner_values(owner=subject, lead=lead)
        rows.append({
            "id": str(lead.id), "status": lead.status, "channel": lead.channel,
            "notice_version": lead.notice_version, "submissions": lead.submissions,
            "created_at": _iso(lead.created_at), "last_submitted_at": _iso(lead.last_submitted_at),
            "closed_at": _iso(lead.closed_at), "claimed_at": _iso(lead.claimed_at),
            **values,
        })
    return {"leads_lead": rows}


def erase(*, actor: Actor, subject: Subject, categories=None) -> Erased:
    """Delete the person's requests (or only the values in ``categories``); idempotent.

    Nothing is kept under a legal duty here: the grant of "you may contact me" stays in the
    consent ledger, which reports it itself.
    """
    leads = list(selectors.held_by(subject))
    count = services._erase_leads(actor=actor, leads=leads,
                                  categories=set(categories) if categories is not None else None)
    return Erased(erased=count)


def due(before) -> int:
    return Lead.objects.filter(last_submitted_at__lt=before).count()


def expire(*, actor: Actor, before, limit: int) -> int:
    return services.expire(actor=actor, before=before, limit=limit)
