"""The only writers of corporate transactions (docs/transactions.md).

    tx = create_transaction(actor=..., title=..., kind="merger", parties=...,
                            categories=["user.name", "user.contact"], audience="all_accounts")
    draft_notices(actor=..., transaction=tx, event={"zh-hans": ..., "en": ...})
    preview_notices / approve_notices / start_notices    # the notify campaign
    record_undertaking(actor=..., transaction=tx, reference=..., signed_on=...)
    provision, token = export(actor=..., transaction=tx)  # through the sharing gateway

The export passes ``sharing.services.provide`` like every provision; the transaction's guard
(``transactions.guards``) refuses it there, so no other caller can go first either.
"""

import datetime
import uuid

from django.db import transaction as db
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.consent.erasure import covered
from piwarden.notify import services as notify
from piwarden.notify.models import CampaignStatus
from piwarden.policy import selectors as policy
from piwarden.transactions import notices, selectors
from piwarden.transactions.dataroom import masked_rows
from piwarden.transactions.errors import TransactionError
from piwarden.transactions.models import (
    Audience,
    CorporateTransaction,
    Kind,
    Status,
)

PURPOSE = "transfer.corporate"
CHANNELS = ("email", "sms", "site", "announcement")
MAX_SAMPLE = 100


def _locked(transaction: CorporateTransaction) -> CorporateTransaction:
    return CorporateTransaction.objects.select_for_update().get(pk=transaction.pk)


def _record(actor: Actor, action: str, transaction: CorporateTransaction, **extra):
    audit.record(actor=actor, action=f"transactions.{action}", obj=transaction,
                 purpose=PURPOSE, **extra)


def _subject_ids(audience: str, subject_ids) -> list[str]:
    if audience not in Audience.values:
        raise TransactionError("AUDIENCE_INVALID", f"Audiences: {', '.join(Audience.values)}.")
    if audience == Audience.ALL_ACCOUNTS:
        return []
    try:
        ids = sorted({str(uuid.UUID(str(value))) for value in subject_ids or []})
    except ValueError:
        raise TransactionError("SUBJECT_INVALID", "A subject id is not a UUID.") from None
    if not ids:
        raise TransactionError("SUBJECTS_MISSING", "A listed audience names its people.")
    return ids


def _categories(categories) -> list[str]:
    allowed = set(selectors.flow().categories)
    asked = sorted(set(categories or []))
    outside = [c for c in asked if not covered(c, allowed)]
    if not asked or outside:
        raise TransactionError("CATEGORIES_OUTSIDE_FLOW", "The categories must be inside the "
                               "flow's allowlist.", detail={"outside": outside,
                                                            "allowed": sorted(allowed)})
    return asked


@db.atomic
def create_transaction(*, actor: Actor, title: str, kind: str, parties: str,
                       categories: list[str], audience: str = Audience.ALL_ACCOUNTS,
                       subject_ids: list | None = None) -> CorporateTransaction:
    """Record a transaction, bound to the policy version in force now."""
    if kind not in Kind.values:
        raise TransactionError("KIND_INVALID", f"Kinds: {', '.join(Kind.values)}.")
    if not (title or "").strip() or len(title) > 200 or not (parties or "").strip():
        raise TransactionError("TITLE_OR_PARTIES_MISSING", "A transaction has a title (at "
                               "most 200 characters) and names its parties.")
    version = policy.current()
    if version is None:
        raise TransactionError("POLICY_MISSING", "No policy version is in force: the new "
                               "holder must be bound to one.", status=409)
    transaction = CorporateTransaction.objects.create(
        title=title.strip(), kind=kind, parties=parties.strip(),
        categories=_categories(categories), audience=audience,
        subject_ids=_subject_ids(audience, subject_ids), policy_version=version,
        policy_version_label=version.version, created_by=str(actor))
    _record(actor, "created", transaction, categories=transaction.categories,
            detail={"kind": kind, "audience": audience, "listed": len(transaction.subject_ids),
                    "policy_version": version.version})
    return transaction


def _open(transaction: CorporateTransaction, *allowed: str) -> None:
    if transaction.status not in allowed:
        raise TransactionError("WRONG_STATUS", f"The transaction is {transaction.status}.",
                               status=409, detail={"status": transaction.status})


@db.atomic
def draft_notices(*, actor: Actor, transaction: CorporateTransaction, event: dict,
                  channels=CHANNELS):
    """Draft the Art. 22 notice campaign: what happens (``event`` in ``zh-hans`` and ``en``),
    the new holder's legal name and contact from the catalog, the policy version it is bound
    to. Preview, approval and start follow. A cancelled campaign may be replaced."""
    transaction = _locked(transaction)
    _open(transaction, Status.DRAFT, Status.NOTIFYING)
    previous = selectors.campaign(transaction)
    if previous is not None and previous.status != CampaignStatus.CANCELLED:
        raise TransactionError("NOTICES_DRAFTED", "The notice campaign exists already.",
                               status=409)
    holder = selectors.recipient()
    if holder is None or not holder.legal_name or not holder.contact:
        raise TransactionError("HOLDER_UNNAMED", "The catalog must name the new holder "
                               "(legal name and contact) before the people are told.",
                               status=409)
    event = event or {}
    fields = {lang: {"event": str(event.get(lang) or "").strip(), "holder": holder.legal_name,
                     "contact": holder.contact,
                     "policy_version": transaction.policy_version_label}
              for lang in ("zh-hans", "en")}
    campaign = notify.create_campaign(
        actor=actor, kind="corporate_transaction", template=notices.TEMPLATE, fields=fields,
        audience=notices.AUDIENCE, audience_params={"transaction": transaction.pk},
        channels=list(channels), concerns=transaction,
        title=f"Transaction #{transaction.pk}: notice")
    transaction.campaign_id, transaction.status = str(campaign.pk), Status.DRAFT
    transaction.save(update_fields=["campaign_id", "status"])
    _record(actor, "notices_drafted", transaction, detail={"campaign": str(campaign.pk)})
    return campaign


def _campaign(transaction: CorporateTransaction):
    found = selectors.campaign(transaction)
    if found is None:
        raise TransactionError("NOTICES_NOT_DRAFTED", "Draft the notice campaign first.",
                               status=409)
    return found


@db.atomic
def preview_notices(*, actor: Actor, transaction: CorporateTransaction):
    """The audience count and a masked sample (no contact value)."""
    transaction = _locked(transaction)
    preview = notify.preview(actor=actor, campaign=_campaign(transaction))
    _record(actor, "notices_previewed", transaction, detail={"count": preview.count})
    return preview


@db.atomic
def approve_notices(*, actor: Actor, transaction: CorporateTransaction):
    """The second staff member's approval above the notify threshold."""
    transaction = _locked(transaction)
    campaign = notify.approve(actor=actor, campaign=_campaign(transaction))
    _record(actor, "notices_approved", transaction, detail={"campaign": str(campaign.pk)})
    return campaign


@db.atomic
def start_notices(*, actor: Actor, transaction: CorporateTransaction):
    transaction = _locked(transaction)
    _open(transaction, Status.DRAFT)
    campaign = notify.start(actor=actor, campaign=_campaign(transaction))
    transaction.status = Status.NOTIFYING
    transaction.save(update_fields=["status"])
    _record(actor, "notices_started", transaction,
            detail={"campaign": str(campaign.pk), "audience": campaign.audience_size})
    return campaign


@db.atomic
def refresh(*, actor: Actor, transaction: CorporateTransaction) -> CorporateTransaction:
    """Follow the campaign (which staff may also run from the notify console): ``notifying``
    once it started, ``notices_complete`` once it is."""
    transaction = _locked(transaction)
    campaign = selectors.campaign(transaction)
    if transaction.status not in (Status.DRAFT, Status.NOTIFYING) or campaign is None:
        return transaction
    if selectors.notices_complete(transaction):
        transaction.status = Status.NOTICES_COMPLETE
        transaction.save(update_fields=["status"])
        _record(actor, "notices_complete", transaction,
                detail={"reached": len(selectors.reached_ids(transaction))})
    elif transaction.status == Status.DRAFT and campaign.status in (CampaignStatus.SENDING,
                                                                    CampaignStatus.SENT):
        transaction.status = Status.NOTIFYING
        transaction.save(update_fields=["status"])
        _record(actor, "notices_started", transaction, detail={"campaign": str(campaign.pk)})
    return transaction


@db.atomic
def record_undertaking(*, actor: Actor, transaction: CorporateTransaction, reference: str,
                       signed_on: datetime.date) -> CorporateTransaction:
    """The new holder's written undertaking to stay bound by the policy version."""
    transaction = _locked(transaction)
    _open(transaction, Status.DRAFT, Status.NOTIFYING, Status.NOTICES_COMPLETE)
    reference = (reference or "").strip()
    if not reference or len(reference) > 200 or not isinstance(signed_on, datetime.date):
        raise TransactionError("UNDERTAKING_INVALID", "An undertaking has a reference (at most "
                               "200 characters) and the date it was signed.")
    if signed_on > timezone.localdate():
        raise TransactionError("UNDERTAKING_INVALID", "The undertaking's date is in the future.")
    transaction.undertaking_reference, transaction.undertaking_date = reference, signed_on
    transaction.save(update_fields=["undertaking_reference", "undertaking_date"])
    _record(actor, "undertaking_recorded", transaction,
            detail={"signed_on": signed_on.isoformat(),
                    "policy_version": transaction.policy_version_label})
    return transaction


@db.atomic
def record_processing_change(*, actor: Actor, transaction: CorporateTransaction,
                             change: str) -> CorporateTransaction:
    """The new holder changes the purpose or method of processing: the export is refused
    (``RECONSENT_REQUIRED``) until new consent is obtained (PIPL Art. 22 para 2)."""
    transaction = _locked(transaction)
    _open(transaction, Status.DRAFT, Status.NOTIFYING, Status.NOTICES_COMPLETE)
    change = (change or "").strip()
    if not change:
        raise TransactionError("CHANGE_MISSING", "Describe what the new holder changes.")
    transaction.processing_change, transaction.processing_change_at = change, timezone.now()
    transaction.save(update_fields=["processing_change", "processing_change_at"])
    _record(actor, "processing_changed", transaction)
    return transaction


@db.atomic
def cancel(*, actor: Actor, transaction: CorporateTransaction) -> CorporateTransaction:
    """Stop the transaction (and its campaign, if it is still going)."""
    transaction = _locked(transaction)
    _open(transaction, Status.DRAFT, Status.NOTIFYING, Status.NOTICES_COMPLETE)
    campaign = selectors.campaign(transaction)
    if campaign is not None and campaign.status not in (CampaignStatus.SENT,
                                                        CampaignStatus.CANCELLED):
        notify.cancel(actor=actor, campaign=campaign)
    transaction.status, transaction.cancelled_at = Status.CANCELLED, timezone.now()
    transaction.save(update_fields=["status", "cancelled_at"])
    _record(actor, "cancelled", transaction)
    return transaction


def export(*, actor: Actor, transaction: CorporateTransaction):
    """Provide the reached people's data in the transaction's categories to the new holder,
    through the gateway (outside any atomic block, like every provision; its guard marks the
    transaction exported with the provision). Returns the provision and the download token
    (shown once)."""
    from piwarden.sharing import services as sharing

    transaction = refresh(actor=actor, transaction=transaction)
    provision, token = sharing.provide(
        actor=actor, flow=selectors.flow(), subject_ids=selectors.affected_ids(transaction),
        categories=transaction.categories, context={"transaction": transaction.pk})
    if provision.provided:
        with db.atomic():
            transaction = _locked(transaction)
            transaction.provision_id = str(provision.pk)
            transaction.save(update_fields=["provision_id"])
            _record(actor, "exported", transaction, categories=provision.categories,
                    detail={"provision": str(provision.pk), "provided": provision.provided,
                            "dropped": provision.dropped})
    return provision, token


@db.atomic
def data_room_sample(*, actor: Actor, transaction: CorporateTransaction,
                     size: int) -> list[dict]:
    """``size`` affected people for the buyer's due diligence, masked values only (the
    vault's stored masks: nothing is decrypted), numbered rather than identified."""
    if not isinstance(size, int) or not 1 <= size <= MAX_SAMPLE:
        raise TransactionError("SAMPLE_SIZE_INVALID", f"A sample holds 1 to {MAX_SAMPLE} "
                               "people.")
    transaction = _locked(transaction)
    _open(transaction, Status.DRAFT, Status.NOTIFYING, Status.NOTICES_COMPLETE)
    people = list(notices.affected({"transaction": transaction.pk})[:size])
    rows, fields = masked_rows(people, transaction.categories)
    _record(actor, "data_room_sampled", transaction, subjects=people,
            categories=sorted({category for category in fields.values()}),
            detail={"people": len(people), "fields": sorted(fields)})
    return rows


