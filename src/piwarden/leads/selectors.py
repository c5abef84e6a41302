"""Reads shared by the leads pages, the claiming page and the subject-data registry."""

import uuid

from django.db.models import Q, QuerySet

from piwarden.accounts.selectors import account_of, matching_subject_ids
from piwarden.leads.models import Lead
from piwarden.subjects.models import Subject


def claimable(account, subject_ids: set[uuid.UUID] | None = None) -> QuerySet[Lead]:
    """Requests left with the account's verified phone or e-mail that nobody claimed yet."""
    if subject_ids is None:
        subject_ids = matching_subject_ids(account)
    return Lead.objects.filter(subject_id__in=subject_ids, claimed_by=None).order_by(
        "-last_submitted_at")


def held_by(subject: Subject) -> QuerySet[Lead]:
    """The requests that are this person's: made as this lead, or claimed by this account."""
    return Lead.objects.filter(Q(subject=subject) | Q(claimed_by=subject)).select_related(
        "subject").order_by("-last_submitted_at")


def matched(subject: Subject) -> QuerySet[Lead]:
    """For an account holder, the unclaimed requests that match its verified phone or e-mail
    (what the claiming page offers): the same person's data, so exported and erased with the
    account. None for other subjects."""
    account = account_of(subject)
    if account is None:
        return Lead.objects.none()
    return claimable(account).select_related("subject")
