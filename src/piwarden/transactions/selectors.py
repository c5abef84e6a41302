"""Reads the services, the guard, the console and the API share."""

from django.db.models import Q

from piwarden.catalog.models import Recipient
from piwarden.notify.models import Campaign, CampaignStatus, Channel, Delivery, DeliveryStatus
from piwarden.sharing.models import Flow
from piwarden.transactions.errors import TransactionError
from piwarden.transactions.models import ACTIVITY, RECIPIENT, CorporateTransaction

# Deliveries whose outcome the outbox or a staff call still has to settle. A site message is
# posted in the person's privacy center when it is handed out: it counts as given.
_SETTLED_LATER = (Channel.EMAIL, Channel.SMS, Channel.PHONE)


def flow() -> Flow:
    """The flow to the new holder (the sharing registry makes it from the catalog)."""
    found = Flow.objects.filter(activity=ACTIVITY, recipient=RECIPIENT).first()
    if found is None:
        raise TransactionError("FLOW_MISSING", "The catalog has no flow to the new holder "
                               f"({ACTIVITY} → {RECIPIENT}); sync the sharing registry.",
                               status=409)
    return found


def recipient() -> Recipient | None:
    """The new holder's catalog entry (legal name, contact)."""
    return Recipient.objects.filter(key=RECIPIENT, retired=False).first()


def campaign(transaction: CorporateTransaction) -> Campaign | None:
    if not transaction.campaign_id:
        return None
    return Campaign.objects.filter(pk=transaction.campaign_id).first()


def _reached(transaction: CorporateTransaction):
    """The deliveries that told the person: sent, or a site message posted to them."""
    return Delivery.objects.filter(campaign_id=transaction.campaign_id).filter(
        Q(status=DeliveryStatus.SENT) | Q(channel=Channel.SITE))


def notices_complete(transaction: CorporateTransaction) -> bool:
    """The campaign handed a notice to every affected person (it is ``sent``) and no e-mail,
    SMS or call is still waiting for its outcome."""
    found = campaign(transaction)
    if found is None or found.status != CampaignStatus.SENT:
        return False
    return not Delivery.objects.filter(campaign=found, status=DeliveryStatus.PENDING,
                                       channel__in=_SETTLED_LATER).exists()


def reached_ids(transaction: CorporateTransaction) -> set:
    """Everyone the notices reached (one query, however long the list asked about)."""
    if not transaction.campaign_id:
        return set()
    return set(_reached(transaction).values_list("subject_id", flat=True))


def affected_ids(transaction: CorporateTransaction) -> list:
    """The people the notices reached, in id order: who an export covers."""
    if not transaction.campaign_id:
        return []
    return list(_reached(transaction).order_by("subject_id")
                .values_list("subject_id", flat=True))
