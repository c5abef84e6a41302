"""The partners app in the subject-data registry (export and erase one person's data)."""

from piwarden.accounts.models import Account
from piwarden.audit.actors import Actor
from piwarden.partners import selectors, services
from piwarden.partners.models import PartnerRecord
from piwarden.subjects.models import Subject, SubjectKind
from piwarden.subjects.registry import Source
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
    if subject.kind == SubjectKind.ACCOUNT_HOLDER:
        account = Account.objects.filter(subject=subject).first()
        subjects = selectors.matching_subjects(account) if account else []
    else:
        subjects = [subject]
    rows = []
    for person in subjects:
        values = _values(person)
        rows += [_row(record, values) for record in
                 PartnerRecord.objects.filter(subject=person).select_related("partner")]
    return {"partner_records": rows} if rows else {}


def erase(*, actor: Actor, subject: Subject, categories=None):
    return services.erase(actor=actor, subject=subject, categories=categories)


SOURCE = Source(name="partners.records", models=(PartnerRecord,),
                categories=(services.SOURCE_CATEGORY, *services.FIELDS.values()),
                export=export, erase=erase)
