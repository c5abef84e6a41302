"""Read queries of the partners app: a partner's own records, and the sources of a person's data."""

from piwarden.accounts.models import Account
from piwarden.accounts.selectors import matching_subject_ids
from piwarden.partners.models import PartnerRecord
from piwarden.partners.services import FIELDS
from piwarden.subjects.models import Subject, SubjectKind
from piwarden.vault import services as vault

# Revealing a partner-supplied person's values for the account holder's export is part of
# answering the person's access request (PIPL Art. 45, policy §VI).
LOOKUP_PURPOSE = "rights.requests"


def record_of(partner, external_id: str) -> PartnerRecord | None:
    """Only the partner that submitted a record can read it back."""
    return (PartnerRecord.objects.select_related("batch", "subject")
            .filter(partner=partner, external_id=external_id).first())


def masked_values(subject: Subject) -> dict[str, str | None]:
    return {name: vault.masked(subject, name) for name in FIELDS}


def matching_subjects(account: Account) -> list[Subject]:
    """The partner_person subjects holding the account's *verified* phone or e-mail."""
    return list(Subject.objects.filter(pk__in=matching_subject_ids(account),
                                       kind=SubjectKind.PARTNER_PERSON))


def sources_for(account: Account) -> list[dict]:
    """Where the data about this person came from: one entry per partner record."""
    subjects = matching_subjects(account)
    rows = []
    for record in (PartnerRecord.objects.filter(subject__in=subjects)
                   .select_related("partner", "batch", "subject").order_by("-received_at")):
        rows.append({"record": record, "partner": record.partner,
                     "masked": {name: value for name, value in masked_values(record.subject).items()
                                if value}})
    return rows
