"""Writers of call-back requests: submission (form and API), closing, claiming, correcting,
erasing and expiring. Each writes its audit record in the same transaction.

PI goes to the vault only: ``phone``, ``email`` and ``name`` of the lead subject, and the open
request's message as ``leads_message``. A submission needs the current notice version (P-2) and
the ticked "you may contact me" box, which is recorded in the consent ledger as a grant for
``lead.callback``; without it nothing is stored (the purpose rests on consent alone).
"""

from dataclasses import dataclass, replace

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog.models import Purpose
from piwarden.consent import notices
from piwarden.consent import services as consent
from piwarden.consent.erasure import covered
from piwarden.consent.models import Channel
from piwarden.discovery import screening
from piwarden.errors import ServiceError
from piwarden.leads.models import Lead, LeadChannel, LeadStatus
from piwarden.sites import guard
from piwarden.subjects.models import Subject, SubjectKind, SubjectStatus
from piwarden.subjects.services import create_subject
from piwarden.vault import services as vault

PURPOSE = "lead.callback"
# vault field -> (catalog category, request key)
FIELDS = {
    "phone": ("user.contact.phone", "phone"),
    "email": ("user.contact.email", "email"),
    "name": ("user.name", "name"),
    "leads_message": ("inquiry.message", "message"),
}
MAX_NAME, MAX_EMAIL, MAX_MESSAGE = 100, 254, 2000


class LeadError(ServiceError):
    """A submission or action the service refuses; ``code`` is the API's error code."""


@dataclass(frozen=True)
class Submission:
    phone: str = ""
    email: str = ""
    name: str = ""
    message: str = ""


def notice_text(lang: str | None = None) -> str:
    """The just-in-time notice the form and the API show, stored with the consent grant."""
    purpose = Purpose.objects.get(key=PURPOSE)
    version = consent.policy_version()
    if notices.language(lang) == "zh-hans":
        short = ("我们仅将您留下的电话号码、电子邮箱、姓名和留言用于回复您的请求，保存180天，"
                 "加密存放于中国境内，不向第三方提供。")
    else:
        short = ("We use the phone number, e-mail address, name and message you leave only to "
                 "answer your request; we keep them for 180 days, encrypted, in China, and "
                 "share them with no one.")
    return short + " " + notices.purpose_text(purpose, "general", version, lang)


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise LeadError("PHONE_INVALID", _("Enter a valid phone number."), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@sensitive_variables("submission", "phone", "email")
def clean(submission: Submission) -> Submission:
    """Validate and trim a submission: a phone number or an e-mail address, within size limits."""
    phone = (submission.phone or "").strip()
    email = (submission.email or "").strip()
    name = " ".join((submission.name or "").split())
    message = (submission.message or "").replace("\r\n", "\n").strip()
    if not phone and not email:
        raise LeadError("CONTACT_REQUIRED",
                        _("Leave a phone number or an e-mail address so that we can reach you."),
                        field="phone")
    if phone:
        if len(phone) > 32:
            raise LeadError("PHONE_INVALID", _("Enter a valid phone number."), field="phone")
        phone = _phone(phone)
    if email:
        try:
            if len(email) > MAX_EMAIL:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            raise LeadError("EMAIL_INVALID", _("Enter a valid e-mail address."),
                            field="email") from None
    if len(name) > MAX_NAME:
        raise LeadError("NAME_TOO_LONG", _("The name is too long."), field="name")
    if len(message) > MAX_MESSAGE:
        raise LeadError("MESSAGE_TOO_LONG",
                        _("The message is too long (at most 2,000 characters)."),
                        field="message")
    return Submission(phone=phone, email=email, name=name, message=message)


@sensitive_variables("data")
def _screen(data: Submission, *, actor: Actor, subject: Subject) -> Submission:
    """The free text with the PI the call-back may not keep redacted (discovery.screening)."""
    return replace(data, **{key: screening.screen(
        getattr(data, key), actor=actor, subject=subject, purpose=PURPOSE, field=field,
        source="leads.submit", max_length=limit).text
        for key, field, limit in (("name", "name", MAX_NAME),
                                  ("message", "leads_message", MAX_MESSAGE))})


def _lead_subject(data: Submission) -> Subject | None:
    """The active lead subject that already holds this phone number or e-mail address, locked
    (as ``subjectdata.retire_emptied`` locks it), so a concurrent erasure cannot retire it
    under the new request: one of the two waits, then sees the other's outcome."""
    ids = []
    for field in ("phone", "email"):
        value = getattr(data, field)
        if value:
            ids += vault.find_subject_ids(field, value)
    if not ids:
        return None
    return (Subject.objects.select_for_update(no_key=True)
            .filter(pk__in=ids, kind=SubjectKind.LEAD, status=SubjectStatus.ACTIVE)
            .order_by("created_at").first())


@sensitive_variables("submission", "data")
def submit(*, submission: Submission, contact_ok: bool, notice_version: str | None,
           channel: str, ip: str = "", user_agent: str = "", lang: str | None = None) -> Lead:
    """Record one call-back request. Raises NoticeVersionError (422/409) or LeadError (410
    ``GONE`` once the call-back service has ended)."""
    guard.check_open(purpose=PURPOSE, error=LeadError)
    notices.check_version(notice_version)
    data = clean(submission)
    if not contact_ok:
        raise LeadError("CONSENT_REQUIRED",
                        _("Tick the box to let us contact you; without it we keep nothing."),
                        field="contact_ok")
    text = notice_text(lang)
    return _store(data=data, channel=LeadChannel(channel), notice_version=notice_version,
                  text=text, ip=ip, user_agent=user_agent)


@transaction.atomic
@sensitive_variables("data")
def _store(*, data: Submission, channel: str, notice_version: str, text: str, ip: str,
           user_agent: str) -> Lead:
    subject = _lead_subject(data)
    if subject is None:
        subject = create_subject(actor=Actor.system("leads.submit"), kind=SubjectKind.LEAD)
    actor = Actor.person(subject)
    event = consent.grant(actor=actor, subject=subject, purpose=PURPOSE, notice_text=text,
                          channel=Channel.API if channel == LeadChannel.API else Channel.WEB,
                          ip=ip, user_agent=user_agent)
    data = _screen(data, actor=actor, subject=subject)
    given = []
    for field, (_category, key) in FIELDS.items():
        value = getattr(data, key)
        if value:
            vault.put(actor=actor, subject=subject, field=field, value=value, purpose=PURPOSE)
            given.append(field)
    now = timezone.now()
    lead = Lead.objects.select_for_update().filter(subject=subject,
                                                   status=LeadStatus.OPEN).first()
    repeat = lead is not None
    if lead is None:
        lead = Lead(subject=subject, channel=channel, submissions=0)
    lead.submissions += 1
    lead.channel, lead.notice_version, lead.consent_event = channel, notice_version, event
    lead.last_submitted_at = now
    lead.has_message = lead.has_message or bool(data.message)
    lead.save()
    audit.record(actor=actor, action="leads.submitted", subject=subject, obj=lead,
                 categories=sorted(FIELDS[f][0] for f in given), purpose=PURPOSE,
                 legal_basis="consent",
                 detail={"channel": channel, "fields": given, "repeat": repeat,
                         "notice_version": notice_version})
    return lead


@transaction.atomic
def close(*, actor: Actor, lead: Lead) -> Lead:
    """Mark a request handled: its message is no longer needed and is deleted."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == LeadStatus.CLOSED:
        return lead
    if lead.has_message:
        vault.delete(actor=actor, subject=lead.subject, field="leads_message", purpose=PURPOSE)
    lead.status, lead.closed_at, lead.has_message = LeadStatus.CLOSED, timezone.now(), False
    lead.save(update_fields=["status", "closed_at", "has_message"])
    audit.record(actor=actor, action="leads.closed", subject=lead.subject, obj=lead,
                 categories=["inquiry.message"], purpose=PURPOSE, legal_basis="consent")
    return lead


# --- the person's own requests, once claimed -------------------------------------------------

@transaction.atomic
def claim(*, account, lead_ids) -> int:
    """Link requests left with the account's verified phone or e-mail to the account.

    The request stays with its lead subject (its vault values are bound to that subject's key);
    ``claimed_by`` points at the account's subject, which from then on sees, corrects, exports
    and erases it like account data. Only requests that match at this moment are claimed.
    """
    from piwarden.leads.selectors import claimable

    leads = list(claimable(account).filter(pk__in=list(lead_ids)).select_for_update())
    now = timezone.now()
    actor = Actor.person(account.subject)
    for lead in leads:
        lead.claimed_by, lead.claimed_at = account.subject, now
        lead.save(update_fields=["claimed_by", "claimed_at"])
        audit.record(actor=actor, action="leads.claimed", subject=lead.subject, obj=lead,
                     purpose="rights.requests", legal_basis="legal_obligation",
                     detail={"account_subject": str(account.subject_id)})
    return len(leads)


def owner_values(*, owner: Subject, lead: Lead) -> dict[str, str | None]:
    """The plaintext of a claimed request for its owner (the access right, §VI)."""
    actor = Actor.person(owner)
    values = {}
    for field, (_category, key) in FIELDS.items():
        if field == "leads_message" and not lead.has_message:
            values[key] = None
            continue
        values[key] = vault.reveal(actor=actor, subject=lead.subject, field=field,
                                   purpose="rights.requests")
    return values


@transaction.atomic
@sensitive_variables("value")
def correct(*, owner: Subject, lead: Lead, key: str, value: str) -> None:
    """The owner corrects the phone number, e-mail address or name of a claimed request."""
    fields = {"phone": "phone", "email": "email", "name": "name"}
    if key not in fields:
        raise LeadError("FIELD_NOT_EDITABLE", _("This value cannot be changed."), field=key)
    value = value.strip() if key != "name" else " ".join(value.split())
    if not value:
        raise LeadError("VALUE_REQUIRED", _("Enter a value, or delete the request."), field=key)
    if key == "name":
        if len(value) > MAX_NAME:
            raise LeadError("NAME_TOO_LONG", _("The name is too long."), field="name")
    else:
        value = getattr(clean(Submission(**{key: value})), key)
    actor = Actor.person(owner)
    if key == "name":
        value = screening.screen(value, actor=actor, subject=lead.subject, purpose=PURPOSE,
                                 field="name", source="leads.correct", max_length=MAX_NAME).text
    vault.put(actor=actor, subject=lead.subject, field=fields[key], value=value, purpose=PURPOSE)
    audit.record(actor=actor, action="leads.corrected", subject=lead.subject, obj=lead,
                 categories=[FIELDS[fields[key]][0]], purpose=PURPOSE, legal_basis="consent",
                 detail={"field": fields[key], "owner": str(owner.pk)})


@transaction.atomic
def delete_claimed(*, owner: Subject, lead: Lead) -> None:
    """The owner deletes a claimed request (§6.3): the row and the values only it needed."""
    _erase_leads(actor=Actor.person(owner), leads=[lead], categories=None)


# --- erasure and retention -------------------------------------------------------------------

def _erase_leads(*, actor: Actor, leads: list[Lead], categories: set[str] | None) -> int:
    """Erase requests: with ``categories`` None the rows go, with their message, and the
    phone number, e-mail address and name go with the subject's last request; otherwise only
    the values in those categories go and the rows stay. Returns rows and values deleted."""
    count = 0
    by_subject: dict = {}
    for lead in leads:
        by_subject.setdefault(lead.subject_id, []).append(lead)
    for subject_id, mine in by_subject.items():
        subject, ids = mine[0].subject, [lead.pk for lead in mine]
        if categories is None:
            others = Lead.objects.filter(subject_id=subject_id).exclude(pk__in=ids).exists()
            fields = ["leads_message"] if others else list(FIELDS)
        else:
            fields = [f for f, (c, _k) in FIELDS.items() if covered(c, categories)]
        if not fields:
            continue
        for field in fields:
            count += vault.delete(actor=actor, subject=subject, field=field, purpose=PURPOSE)
        if categories is None:
            count += Lead.objects.filter(pk__in=ids).delete()[0]
        elif "leads_message" in fields:
            Lead.objects.filter(pk__in=ids).update(has_message=False)
        audit.record(actor=actor, action="leads.erased", subject=subject, purpose=PURPOSE,
                     categories=sorted(FIELDS[f][0] for f in fields), legal_basis="consent",
                     detail={"requests": len(ids), "rows_deleted": categories is None,
                             "fields": fields})
    return count


@transaction.atomic
def expire(*, actor: Actor, before, limit: int) -> int:
    """Delete at most ``limit`` requests last submitted before ``before`` (retention P180D)."""
    leads = list(Lead.objects.filter(last_submitted_at__lt=before)
                 .select_related("subject").order_by("last_submitted_at")[:limit])
    if leads:
        _erase_leads(actor=actor, leads=leads, categories=None)
        audit.record(actor=actor, action="leads.expired", purpose=PURPOSE,
                     legal_basis="consent", detail={"count": len(leads)},
                     subjects=[lead.subject_id for lead in leads])
    return len(leads)
