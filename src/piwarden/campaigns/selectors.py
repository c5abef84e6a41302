"""Reads shared by the claiming page, the console and the subject-data registry."""

import uuid

from django.db.models import Q, QuerySet

from piwarden.accounts.selectors import account_of, matching_subject_ids
from piwarden.campaigns.models import CampaignEntry
from piwarden.subjects.models import Subject


def claimable(account, subject_ids: set[uuid.UUID] | None = None) -> QuerySet[CampaignEntry]:
    """Entries recorded with the account's verified phone or e-mail, not claimed yet."""
    if subject_ids is None:
        subject_ids = matching_subject_ids(account)
    return CampaignEntry.objects.filter(subject_id__in=subject_ids, claimed_by=None).order_by(
        "-created_at")


def held_by(subject: Subject) -> QuerySet[CampaignEntry]:
    """Entries about this person: recorded as this contact, or claimed by this account."""
    return (CampaignEntry.objects.filter(Q(subject=subject) | Q(claimed_by=subject))
            .select_related("subject", "campaign").order_by("-created_at"))


def matched(subject: Subject) -> QuerySet[CampaignEntry]:
    """For an account holder, the unclaimed entries that match its verified phone or e-mail
    (as ``leads.selectors.matched``); none for other subjects."""
    account = account_of(subject)
    if account is None:
        return CampaignEntry.objects.none()
    return claimable(account).select_related("subject", "campaign")
