"""The campaigns app in the subject-data registry: export, erasure and retention of entries."""

from datetime import timedelta

from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.campaigns import selectors, services
from piwarden.campaigns.models import CampaignEntry
from piwarden.subjectdata import services as subjectdata
from piwarden.subjects.models import Subject
from piwarden.subjects.registry import Erased, Kept, iso

CATEGORIES = tuple(sorted({c for c, _k in services.FIELDS.values()} | {"user.consent"}))



def _person_entries(subject: Subject) -> list[tuple[CampaignEntry, str]]:
    """The entries about this person, each with how: recorded as this contact ("own"), claimed
    by this account ("claimed"), or unclaimed but recorded with its verified phone or e-mail
    ("matched")."""
    held = [(entry, "own" if entry.subject_id == subject.pk else "claimed")
            for entry in selectors.held_by(subject)]
    return held + [(entry, "matched") for entry in selectors.matched(subject)]


def export(subject: Subject) -> dict[str, list[dict]]:
    rows = []
    for entry, link in _person_entries(subject):
        rows.append({
            "id": str(entry.id), "link": link, "campaign": entry.campaign.name,
            "campaign_starts_on": iso(entry.campaign.starts_on),
            "campaign_ends_on": iso(entry.campaign.ends_on),
            "campaign_location": entry.campaign.location,
            "recorded_via": entry.via, "notice_version": entry.notice_version,
            "consent_form_scan": "held encrypted; ask for a copy" if entry.consent_event_id
            else None,
            "created_at": iso(entry.created_at), "claimed_at": iso(entry.claimed_at),
            **services.owner_values(owner=subject, entry=entry),
        })
    return {"campaigns_entry": rows}


def erase(*, actor: Actor, subject: Subject, categories=None) -> Erased:
    """Delete the person's entries (claimed or matched too, as exported), or only their values
    in ``categories``; idempotent: what is erased no longer matches.

    The consent event of each entry stays in the consent ledger (evidence, legal duty) without
    the scan's key. A claimed or matched entry's subject is then finished as the engine would
    (``subjectdata.services.retire_emptied``: ledger detached, key shredded, status erased).
    """
    entries = [entry for entry, _link in _person_entries(subject)]
    count = services.erase_entries(
        actor=actor, entries=entries,
        categories=set(categories) if categories is not None else None)
    kept = []
    if entries and categories is None:
        kept.append(Kept(category="user.consent", legal_basis="legal_obligation",
                         until=(timezone.localdate() + timedelta(days=3 * 365)),
                         reason="The consent ledger keeps that the person agreed, when and to "
                                "which notice (the scan itself no longer opens)."))
        retired = subjectdata.retire_emptied(
            actor=actor, erased_for=subject, subjects=[entry.subject for entry in entries],
            model=CampaignEntry)
        return Erased(erased=count + retired.erased, anonymized=retired.anonymized,
                      kept=kept + [k for k in retired.kept if k not in kept])
    return Erased(erased=count, kept=kept)


def due(before) -> int:
    return CampaignEntry.objects.filter(created_at__lt=before).count()


def expire(*, actor: Actor, before, limit: int) -> int:
    return services.expire(actor=actor, before=before, limit=limit)
