"""The leads app in the subject-data registry: export, erasure and retention of requests."""

from piwarden.audit.actors import Actor
from piwarden.leads import selectors, services
from piwarden.leads.models import Lead
from piwarden.subjectdata import services as subjectdata
from piwarden.subjects.models import Subject
from piwarden.subjects.registry import Erased, iso

CATEGORIES = tuple(sorted({category for category, _key in services.FIELDS.values()}))



def _row(lead: Lead, owner: Subject, link: str) -> dict:
    return {
        "id": str(lead.id), "link": link, "status": lead.status, "channel": lead.channel,
        "notice_version": lead.notice_version, "submissions": lead.submissions,
        "created_at": iso(lead.created_at), "last_submitted_at": iso(lead.last_submitted_at),
        "closed_at": iso(lead.closed_at), "claimed_at": iso(lead.claimed_at),
        **services.owner_values(owner=owner, lead=lead),
    }


def _person_leads(subject: Subject) -> list[tuple[Lead, str]]:
    """The requests that are this person's, each with how: made as this lead ("own"), claimed
    by this account ("claimed"), or unclaimed but left with its verified phone or e-mail
    ("matched")."""
    held = [(lead, "own" if lead.subject_id == subject.pk else "claimed")
            for lead in selectors.held_by(subject)]
    return held + [(lead, "matched") for lead in selectors.matched(subject)]


def export(subject: Subject) -> dict[str, list[dict]]:
    """Every request of the person (see ``_person_leads``), values decrypted."""
    return {"leads_lead": [_row(lead, subject, link) for lead, link in _person_leads(subject)]}


def erase(*, actor: Actor, subject: Subject, categories=None) -> Erased:
    """Delete the person's requests (or only the values in ``categories``); idempotent: what
    is erased no longer matches. What the export shows is what goes, claimed or matched.

    A claimed or matched lead subject left without requests by an erasure of everything is
    finished as the engine would (``subjectdata.services.retire_emptied``), and what its
    consent ledger keeps is reported here. When a lead subject is erased itself, its grant of
    "you may contact me" stays in its consent ledger, which reports it itself.
    """
    leads = [lead for lead, _link in _person_leads(subject)]
    count = services._erase_leads(actor=actor, leads=leads,
                                  categories=set(categories) if categories is not None else None)
    if categories is None:
        result = subjectdata.retire_emptied(actor=actor, erased_for=subject,
                                            subjects=[lead.subject for lead in leads], model=Lead)
        result.erased += count
        return result
    return Erased(erased=count)


def due(before) -> int:
    return Lead.objects.filter(last_submitted_at__lt=before).count()


def expire(*, actor: Actor, before, limit: int) -> int:
    return services.expire(actor=actor, before=before, limit=limit)
