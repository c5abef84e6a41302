"""Reads shared by the leads pages, the claiming page and the subject-data registry."""

import uuid

from django.db.models import Q, QuerySet

from piwarden.accounts.models import Account
from piwarden.audit.actors import Actor
from piwarden.leads.models import Lead
from piwarden.subjects.models import Subject, SubjectKind
from piwarden.vault import services as vault


def verified_identifiers(account) -> list[tuple[str, str]]:
    """The account's phone number and e-mail address, each only once verified by a code.

    Read for the person's access right (``rights.requests``, a legal duty), so that a
    restricted account still finds its records.
    """
    found = []
    for field, verified in (("phone", account.phone_verified_at),
                            ("email", account.email_verified_at)):
        if verified is None:
            continue
        value = vault.reveal(actor=Actor.person(account.subject), subject=account.subject,
                             field=field, purpose="rights.requests")
        if value:
            found.append((field, value))
    return found


def matching_subject_ids(account) -> set[uuid.UUID]:
    """Subjects (other than the account's own) holding a verified identifier of the account."""
    ids: set[uuid.UUID] = set()
    for field, value in verified_identifiers(account):
        ids.update(vault.find_subject_ids(field, value))
    ids.discard(account.subject_id)
    return ids


def account_of(subject: Subject) -> Account | None:
    """The account of an account holder's subject; None for any other kind of subject."""
    if subject.kind != SubjectKind.ACCOUNT_HOLDER:
        return None
    return Account.objects.filter(subject=subject).first()


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
