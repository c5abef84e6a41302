"""Reads shared by the pages, the API and the apps that find an account holder's records."""

import uuid

from piwarden.accounts import registry, services
from piwarden.accounts.models import Account, ProfileChange, ServiceActivation
from piwarden.audit.actors import Actor
from piwarden.subjects.models import Subject, SubjectKind
from piwarden.vault import services as vault


def history(account: Account, limit: int = 200):
    return ProfileChange.objects.filter(account=account)[:limit]


def service_status(account: Account) -> list[dict]:
    """For each service: the fields it needs, which of them are missing, and whether it is on."""
    active = set(ServiceActivation.objects.filter(account=account)
                 .values_list("service", flat=True))
    return [{"key": key, "name": registry.label(key), "required": registry.required(key),
             "missing": services.missing_fields(account, key), "active": key in active}
            for key in registry.all_services()]


def account_of(subject: Subject) -> Account | None:
    """The account of an account holder's subject; None for any other kind of subject."""
    if subject.kind != SubjectKind.ACCOUNT_HOLDER:
        return None
    return Account.objects.filter(subject=subject).first()


def verified_identifiers(account: Account) -> list[tuple[str, str]]:
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


def matching_subject_ids(account: Account) -> set[uuid.UUID]:
    """Other subjects (a lead, a campaign contact, a partner-supplied person) holding a
    verified phone or e-mail of the account: the same person's records, which the claiming
    pages offer and the account's export and erasure include."""
    ids: set[uuid.UUID] = set()
    for field, value in verified_identifiers(account):
        ids.update(vault.find_subject_ids(field, value))
    ids.discard(account.subject_id)
    return ids
