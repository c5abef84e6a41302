"""Writers of the campaigns app: campaigns, partner staff access, entries (with the consent
grant and the encrypted scan), scan views, claiming, correcting, erasing and expiring.
Each writes its audit record in the same transaction.
"""

import uuid
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.campaigns.models import Campaign, CampaignAccess, CampaignEntry, EntryVia
from piwarden.catalog.models import Purpose, Recipient
from piwarden.consent import notices
from piwarden.consent import services as consent
from piwarden.consent.erasure import covered
from piwarden.consent.models import Channel
from piwarden.discovery import screening
from piwarden.errors import ServiceError
from piwarden.leads import services as leads
from piwarden.subjects.models import Subject, SubjectKind
from piwarden.subjects.services import create_subject
from piwarden.vault import files
from piwarden.vault import services as vault

PURPOSE = "campaign.offline"
# vault field -> (catalog category, form key); the scan key is kept apart (SCAN_KEY)
FIELDS = {
    "name": ("user.name", "name"),
    "campaigns_title": ("user.title", "title"),
    "phone": ("user.contact.phone", "phone"),
    "email": ("user.contact.email", "email"),
    "campaigns_occupation": ("user.occupation", "occupation"),
}
SCAN_KEY = "campaigns_scan_key"
SCAN_KIND = "campaigns.scan"  # the sealed file's kind (vault/files.py), bound to the entry id
MAX_TEXT = 100
TYPED = ("name", "title", "occupation")  # free text written on the form (screened)


class CampaignError(ServiceError):
    """A refusal; ``code`` is machine-readable, ``field`` names the form field."""


@dataclass(frozen=True)
class EntryValues:
    name: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""
    occupation: str = ""


def notice_text(version: str, lang: str | None = None) -> str:
    """The text printed on the paper consent form of this notice version."""
    purpose = Purpose.objects.get(key=PURPOSE)
    if notices.language(lang) == "zh-hans":
        short = ("我们的工作人员（或受托的合作伙伴人员）记录您的姓名或称谓、电话号码、电子邮箱和"
                 "职业背景以及本同意书的扫描件，仅用于本次活动的后续联系和咨询，保存一年，"
                 "加密存放于中国境内。")
    else:
        short = ("Our staff (or a partner's staff acting for us) record your name or title, "
                 "phone number, e-mail address and occupational background, and a scan of this "
                 "signed form, only to follow up on this campaign; kept one year, encrypted, in "
                 "China.")
    return short + " " + notices.purpose_text(purpose, "general", version, lang)


# --- campaigns and partner staff -------------------------------------------------------------

def _check_partner(partner: str) -> None:
    if partner and not Recipient.objects.filter(key=partner, retired=False).exists():
        raise CampaignError("UNKNOWN_PARTNER", _("No catalog recipient has this key."),
                            field="partner")


@transaction.atomic
def save_campaign(*, actor: Actor, campaign: Campaign) -> Campaign:
    """Create or change a campaign (name, place, dates, partner)."""
    _check_partner(campaign.partner)
    if campaign.ends_on < campaign.starts_on:
        raise CampaignError("DATES_INVALID", _("The campaign cannot end before it starts."),
                            field="ends_on")
    created = campaign.pk is None
    campaign.save()
    audit.record(actor=actor, action="campaigns.saved", obj=campaign, purpose=PURPOSE,
                 detail={"created": created, "partner": campaign.partner,
                         "starts_on": campaign.starts_on.isoformat(),
                         "ends_on": campaign.ends_on.isoformat()})
    return campaign


@transaction.atomic
@sensitive_variables("password")
def grant_partner_access(*, actor: Actor, campaign: Campaign, username: str, password: str,
                         created_by=None) -> CampaignAccess:
    """A login for one partner staff member, limited to adding entries to ``campaign``."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise CampaignError("USERNAME_TAKEN", _("This user name is taken."), field="username")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise CampaignError("PASSWORD_WEAK", " ".join(exc.messages), field="password") from None
    user = User(username=username, is_staff=False, is_superuser=False)
    user.set_password(password)
    user.save()
    access = CampaignAccess.objects.create(user=user, campaign=campaign, created_by=created_by)
    audit.record(actor=actor, action="campaigns.access_granted", obj=access, purpose=PURPOSE,
                 detail={"campaign": campaign.pk, "user": user.pk, "partner": campaign.partner,
                         "until": campaign.ends_on.isoformat()})
    return access


@transaction.atomic
def revoke_access(*, actor: Actor, access: CampaignAccess) -> None:
    access = CampaignAccess.objects.select_for_update().get(pk=access.pk)
    if access.revoked_at is None:
        access.revoked_at = timezone.now()
        access.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="campaigns.access_revoked", obj=access,
                     purpose=PURPOSE, detail={"campaign": access.campaign_id})


def may_add_entries(user, campaign: Campaign) -> bool:
    """Staff with the permission always; a partner's staff only for their campaign, until
    it ends."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff and user.has_perm("campaigns.add_campaignentry"):
        return True
    access = CampaignAccess.objects.filter(user=user).select_related("campaign").first()
    return access is not None and access.campaign_id == campaign.pk and access.is_valid()


# --- entries ---------------------------------------------------------------------------------

@sensitive_variables("values", "cleaned")
def _clean(values: EntryValues) -> EntryValues:
    name = " ".join(values.name.split())
    title = " ".join(values.title.split())
    occupation = " ".join(values.occupation.split())
    if not name and not title:
        raise CampaignError("NAME_REQUIRED", _("Enter a name or a title."), field="name")
    for key, value in (("name", name), ("title", title), ("occupation", occupation)):
        if len(value) > MAX_TEXT:
            raise CampaignError("TOO_LONG", _("This value is too long."), field=key)
    try:
        cleaned = leads.clean(leads.Submission(phone=values.phone, email=values.email))
    except leads.LeadError as exc:
        raise CampaignError(exc.code, exc.message, field=exc.field) from None
    return EntryValues(name=name, title=title, phone=cleaned.phone, email=cleaned.email,
                       occupation=occupation)


def _field_of(key: str) -> str:
    return next(field for field, (_category, form_key) in FIELDS.items() if form_key == key)


@sensitive_variables("values")
def _screen(values: EntryValues, *, actor: Actor, subject: Subject, source: str) -> EntryValues:
    """The typed values with the PI the campaign may not keep redacted (discovery.screening)."""
    return replace(values, **{key: screening.screen(
        getattr(values, key), actor=actor, subject=subject, purpose=PURPOSE,
        field=_field_of(key), source=source, max_length=MAX_TEXT).text for key in TYPED})


def validate_entry(*, values: EntryValues, scan) -> None:
    """Raise CampaignError as ``record_entry`` would, storing nothing (for forms)."""
    _clean(values)
    _scan_bytes(scan)
    scan.seek(0)


def check_partner(partner: str) -> None:
    _check_partner(partner)


def _scan_bytes(scan) -> tuple[bytes, str]:
    if scan is None:
        raise CampaignError("SCAN_REQUIRED", _("Attach the scan of the signed consent form."),
                            field="scan")
    limit = settings.PIWARDEN_CAMPAIGN_SCAN_MAX_BYTES
    if scan.size > limit:
        raise CampaignError("SCAN_TOO_LARGE", _("The scan is too large."), field="scan")
    data = scan.read()
    kind = files.content_type(data)
    if kind not in files.SCANS:
        raise CampaignError("SCAN_TYPE", _("The scan must be a PDF, JPEG or PNG file."),
                            field="scan")
    return data, kind


@sensitive_variables("values", "cleaned", "data", "key")
def record_entry(*, actor: Actor, campaign: Campaign, recorded_by, via: str,
                 values: EntryValues, notice_version: str | None, scan,
                 lang: str | None = None) -> CampaignEntry:
    """Record one person met at a campaign, with the consent grant their signed form gives.

    Raises NoticeVersionError (422/409) when the form's notice version is missing or old, and
    CampaignError for anything else; nothing is stored then.
    """
    notices.check_version(notice_version)
    cleaned = _clean(values)
    data, kind = _scan_bytes(scan)
    entry_id = uuid.uuid4()
    key = files.new_key()
    blob = files.seal(data, key=key, kind=SCAN_KIND, owner_id=entry_id)
    with transaction.atomic():
        subject = create_subject(actor=actor, kind=SubjectKind.CAMPAIGN_CONTACT)
        vault.put(actor=actor, subject=subject, field=SCAN_KEY, value=key, purpose=PURPOSE)
        event = consent.grant(actor=actor, subject=subject, purpose=PURPOSE,
                              notice_text=notice_text(notice_version, lang),
                              channel=Channel.OFFLINE,
                              evidence=ContentFile(blob, name=f"{entry_id}.scan"),
                              evidence_sealed=True)
        cleaned = _screen(cleaned, actor=actor, subject=subject, source="campaigns.entry")
        given = []
        for field, (_category, form_key) in FIELDS.items():
            value = getattr(cleaned, form_key)
            if value:
                vault.put(actor=actor, subject=subject, field=field, value=value,
                          purpose=PURPOSE)
                given.append(field)
        entry = CampaignEntry.objects.create(
            id=entry_id, campaign=campaign, subject=subject, recorded_by=recorded_by,
            via=EntryVia(via), notice_version=notice_version, consent_event=event,
            scan_content_type=kind, fields=given)
        audit.record(actor=actor, action="campaigns.entry_recorded", subject=subject, obj=entry,
                     categories=sorted({FIELDS[f][0] for f in given} | {"user.consent"}),
                     purpose=PURPOSE, legal_basis="consent",
                     detail={"campaign": campaign.pk, "via": via, "fields": given,
                             "notice_version": notice_version})
    return entry


@transaction.atomic
def read_scan(*, actor: Actor, entry: CampaignEntry, reason: str) -> tuple[bytes, str]:
    """The decrypted scan for a staff member (the caller checks ``campaigns.view_scan``)."""
    if not reason.strip():
        raise CampaignError("REASON_REQUIRED", _("Give a reason."), field="reason")
    key = vault.reveal(actor=actor, subject=entry.subject, field=SCAN_KEY,
                       purpose="consent.management", reason=reason)
    if key is None or entry.consent_event is None or not entry.consent_event.evidence:
        raise CampaignError("SCAN_GONE", _("The scan was erased."), status=410)
    with entry.consent_event.evidence.open("rb") as handle:
        data = files.open_(handle.read(), key=key, kind=SCAN_KIND, owner_id=entry.pk)
    audit.record(actor=actor, action="campaigns.scan_viewed", subject=entry.subject, obj=entry,
                 categories=["user.consent"], purpose="consent.management",
                 legal_basis="legal_obligation", detail={"reason": reason[:200]})
    return data, entry.scan_content_type


# --- the person's own entries, once claimed --------------------------------------------------

@transaction.atomic
def claim(*, account, entry_ids) -> int:
    """Link entries recorded with the account's verified phone or e-mail to the account.

    As for leads, an entry stays with its own subject (its vault values are bound to it) and
    ``claimed_by`` points at the account's subject.
    """
    from piwarden.campaigns.selectors import claimable

    entries = list(claimable(account).filter(pk__in=list(entry_ids)).select_for_update())
    now = timezone.now()
    actor = Actor.person(account.subject)
    for entry in entries:
        entry.claimed_by, entry.claimed_at = account.subject, now
        entry.save(update_fields=["claimed_by", "claimed_at"])
        audit.record(actor=actor, action="campaigns.entry_claimed", subject=entry.subject,
                     obj=entry, purpose="rights.requests", legal_basis="legal_obligation",
                     detail={"account_subject": str(account.subject_id)})
    return len(entries)


def owner_values(*, owner: Subject, entry: CampaignEntry) -> dict[str, str | None]:
    """The plaintext of an entry for its owner (the access right, §VI)."""
    actor = Actor.person(owner)
    return {key: vault.reveal(actor=actor, subject=entry.subject, field=field,
                              purpose="rights.requests")
            for field, (_category, key) in FIELDS.items()}


@transaction.atomic
@sensitive_variables("value", "cleaned")
def correct(*, owner: Subject, entry: CampaignEntry, key: str, value: str) -> None:
    """The owner corrects one value of a claimed entry (§6.2); an empty value deletes it."""
    fields = {k: f for f, (_c, k) in FIELDS.items()}
    if key not in fields:
        raise CampaignError("FIELD_NOT_EDITABLE", _("This value cannot be changed."), field=key)
    field, actor = fields[key], Actor.person(owner)
    current = owner_values(owner=owner, entry=entry)
    cleaned = _clean(EntryValues(**{**{k: v or "" for k, v in current.items()}, key: value}))
    new = getattr(cleaned, key)
    if key in TYPED:
        new = screening.screen(new, actor=actor, subject=entry.subject, purpose=PURPOSE,
                               field=field, source="campaigns.correct", max_length=MAX_TEXT).text
    if new:
        vault.put(actor=actor, subject=entry.subject, field=field, value=new, purpose=PURPOSE)
    else:
        vault.delete(actor=actor, subject=entry.subject, field=field, purpose=PURPOSE)
    entry.fields = sorted(set(entry.fields) - {field} | ({field} if new else set()))
    entry.save(update_fields=["fields"])
    audit.record(actor=actor, action="campaigns.entry_corrected", subject=entry.subject,
                 obj=entry, categories=[FIELDS[field][0]], purpose=PURPOSE,
                 legal_basis="consent", detail={"field": field, "owner": str(owner.pk)})


@transaction.atomic
def delete_claimed(*, owner: Subject, entry: CampaignEntry) -> None:
    """The owner deletes a claimed entry (§6.3): its values, its scan's key and the row."""
    erase_entries(actor=Actor.person(owner), entries=[entry], categories=None)


# --- erasure and retention -------------------------------------------------------------------

def erase_entries(*, actor: Actor, entries, categories: set[str] | None) -> int:
    """Delete the values in ``categories`` (None: all, with the scan's key and the rows).

    Without its key the encrypted scan kept as consent evidence no longer opens; the consent
    event itself (who agreed to what, when) stays in the ledger.
    """
    count = 0
    for entry in entries:
        every = dict(FIELDS, **{SCAN_KEY: ("user.consent", "scan")})
        fields = [f for f, (c, _k) in every.items()
                  if categories is None or covered(c, categories)]
        for field in fields:
            count += vault.delete(actor=actor, subject=entry.subject, field=field,
                                  purpose=PURPOSE)
        if categories is None:
            count += CampaignEntry.objects.filter(pk=entry.pk).delete()[0]
        elif fields:
            CampaignEntry.objects.filter(pk=entry.pk).update(
                fields=[f for f in entry.fields if f not in fields])
        if fields:
            audit.record(actor=actor, action="campaigns.entry_erased", subject=entry.subject,
                         categories=sorted({every[f][0] for f in fields}), purpose=PURPOSE,
                         legal_basis="consent",
                         detail={"entry": str(entry.pk), "fields": fields,
                                 "row_deleted": categories is None})
    return count


@transaction.atomic
def expire(*, actor: Actor, before, limit: int) -> int:
    """Erase at most ``limit`` entries recorded before ``before`` (retention P1Y)."""
    entries = list(CampaignEntry.objects.filter(created_at__lt=before)
                   .select_related("subject").order_by("created_at")[:limit])
    if entries:
        erase_entries(actor=actor, entries=entries, categories=None)
        audit.record(actor=actor, action="campaigns.entries_expired", purpose=PURPOSE,
                     legal_basis="consent", detail={"count": len(entries)},
                     subjects=[entry.subject_id for entry in entries])
    return len(entries)
