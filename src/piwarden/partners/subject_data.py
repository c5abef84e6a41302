"""The partners app in the subject-data registry (export and erase one person's data)."""

from piwarden.accounts import selectors as accounts
from piwarden.audit.actors import Actor
from piwarden.partners import selectors, services
from piwarden.partners.models import PartnerRecord
from piwarden.subjectdata import services as subjectdata
from piwarden.subjects.models import Subject, SubjectKind
from piwarden.subjects.registry import Erased, Source
from piwarden.vault import services as vault


def _row(record: PartnerRecord, values: dict) -> dict:
    return {
        "partner": record.partner.name, "partner_recipient": record.partner.recipient,
        "external_id": record.external_id, "batch": record.batch_id,
        "received_at": record.received_at.isoformat(), "categories": ", ".join(record.categories),
        "authorization_reference": record.authorization_reference,
        "authorization_categories": ", ".join(record.authorization_categories),
        "authorization_purposes": ", ".join(record.authorization_purposes),
        "authorized_on": record.authorized_on.isoformat(),
        "authorization_expires_on": (record.authorization_expires_on.isoformat()
                                     if record.authorization_expires_on else None),
        "notice_version": record.notice_version, **values,
    }


def _values(subject: Subject) -> dict:
    actor = Actor.system("partners.export")
    return {name: vault.reveal(actor=actor, subject=subject, field=name,
                               purpose=selectors.LOOKUP_PURPOSE)
            for name in services.FIELDS if vault.masked(subject, name)}


def export(subject: Subject) -> dict[str, list[dict]]:
    """A partner_person's records; for an account holder, the records matching their verified
    phone or e-mail (the sources the privacy-center page lists)."""
    rows = []
    for person in _people(subject):
        values = _values(person)
        rows += [_row(record, values) for record in
                 PartnerRecord.objects.filter(subject=person).select_related("partner")]
    return {"partner_records": rows} if rows else {}


def _people(subject: Subject) -> list[Subject]:
    """The partner_person subjects this subject's data is: itself, or for an account holder
    the ones matching their verified phone or e-mail (as in the export)."""
    if subject.kind != SubjectKind.ACCOUNT_HOLDER:
        return [subject]
    account = accounts.account_of(subject)
    return selectors.matching_subjects(account) if account else []


def erase(*, actor: Actor, subject: Subject, categories=None) -> Erased:
    """What the export shows is what goes: an account holder's erasure also erases the
    partner records that match them (the engine runs it before the account's own sources),
    and, when it erases everything, finishes those partner-supplied people as a run of their
    own would (``subjectdata.services.retire_emptied``)."""
    people = _people(subject)
    result = Erased()
    for person in people:
        result.erased += services.erase(actor=actor, subject=person,
                                        categories=categories).erased
    if categories is None:
        retired = subjectdata.retire_emptied(actor=actor, erased_for=subject, subjects=people,
                                             model=PartnerRecord)
        result.erased += retired.erased
        result.anonymized += retired.anonymized
        result.kept += retired.kept
    return result


SOURCE = Source(name="partners.records", models=(PartnerRecord,),
                categories=(services.SOURCE_CATEGORY, *services.FIELDS.values()),
                export=export, erase=erase)
