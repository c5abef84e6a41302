"""The campaigns app in the subject-data registry: export, erasure and retention of entries."""

from datetime import timedelta

from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.campaigns import selectors, services
from piwarden.campaigns.models import CampaignEntry
from piwarden.subjects.models import Subject
from piwarden.subjects.registry import Erased, Kept

CATEGORIES = tuple(sorted({c for c, _k in services.FIELDS.values()} | {"user.consent"}))


def _iso(value):
    return value.isoformat() if value else None


def export(subject: Subject) -> dict[str, list[dict]]:
    rows = []
    for entry in selectors.held_by(subject):
        rows.append({
            "id": str(entry.id), "campaign": entry.campaign.name,
            "campaign_starts_on": _iso(entry.campaign.starts_on),
            "campaign_ends_on": _iso(entry.campaign.ends_on),
            "campaign_location": entry.campaign.location,
            "recorded_via": entry.via, "notice_version": entry.notice_version,
            "consent_form_scan": "held encrypted; ask for a copy" if entry.consent_event_id
            else None,
            "created_at": _iso(entry.created_at), "claimed_at": _iso(entry.claimed_at),
            **services.owner_values(owner=subject, entry=entry),
        })
    return {"campaigns_entry": rows}


def erase(*, actor: Actor, subject: Subject, categories=None) -> Erased:
    """Delete the person's entries, or only their values in ``categories``; idempotent.

    The consent event of each entry stays in the consent ledger (evidence, legal duty) without
    the scan's key.
    """
    entries = list(selectors.held_by(subject))
    count = services.erase_entries(
        actor=actor, entries=entries,
        categories=set(categories) if categories is not None else None)
    kept = []
    if entries and categories is None:
        kept.append(Kept(category="user.consent", legal_basis="legal_obligation",
                         until=(timezone.localdate() + timedelta(days=3 * 365)),
                         reason="The consent ledger keeps that the person agreed, when and to "
                                "which notice (the scan itself no longer opens)."))
    return Erased(erased=count, kept=kept)


def due(before) -> int:
    return CampaignEntry.objects.filter(created_at__lt=before).count()


def expire(*, actor: Actor, before, limit: int) -> int:
    return services.expire(actor=actor, before=before, limit=limit)
