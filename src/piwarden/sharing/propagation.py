"""Deletions forwarded to the recipients that hold a person's data (R-6.3, C-2.5.7), and the
end of a processor's contract (S-4.1.1e).

Three things open a ``DeletionRequest``: a consent is withdrawn (the consent ledger's
``consent_ended`` signal, inside its transaction: a consent given for one recipient
goes to that recipient, one given for a purpose to every recipient that received the person's
data for it); an erasure of the person finishes (``subjectdata.on_done``, after its commit;
the daily job picks up a run whose hook was lost); a processor's entrustment contract ends
(the daily job). A request about a person goes to the counterparty's ``deletion_endpoint``
through the outbox, carrying the person's pseudonym at that recipient and never PI; without
an endpoint, staff forward it by hand from the console. Recipients confirm through the API
and staff in the console, both through ``confirm``. A request unconfirmed by its due date
turns overdue and raises an alert. The person's deletion certificate lists each recipient as
asked, then as confirmed: the erasure itself never waits for them.
"""

import datetime
import uuid
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from piwarden.alerts import services as alerts
from piwarden.alerts.models import Severity
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog.models import Recipient, RecipientRole
from piwarden.consent.erasure import covered
from piwarden.outbox import services as outbox
from piwarden.sharing import selectors
from piwarden.sharing.models import (
    ContractKind,
    Counterparty,
    DeletionRequest,
    Disclosure,
    ForwardReason,
    ForwardStatus,
    Status,
)
from piwarden.subjects.models import Subject

SYSTEM = Actor.system("sharing.propagation")
PURPOSE = "rights.requests"
BASIS = "legal_obligation"
OPEN = (ForwardStatus.ASKED, ForwardStatus.OVERDUE)
# Finished erasures this far back are checked for a forward their hook did not make.
RECONCILE_DAYS = 7


def confirm_days() -> int:
    """Days a recipient has to confirm a deletion (``PIWARDEN_DELETION_CONFIRM_DAYS``)."""
    return getattr(settings, "PIWARDEN_DELETION_CONFIRM_DAYS", 15)


def connect() -> None:
    """Listen to the consent ledger and the erasure engine (idempotent; the app's ready())."""
    from piwarden.consent.signals import consent_ended
    from piwarden.subjectdata import services as subjectdata

    consent_ended.connect(on_consent_ended,
                                    dispatch_uid="sharing.propagation")
    subjectdata.on_done(on_subjectdata_done)


# --- opening requests ----------------------------------------------------------------------

def payload(request: DeletionRequest) -> dict:
    """What the recipient receives: its own reference for the person, never PI."""
    return {"type": "deletion_request", "request_id": str(request.pk),
            "reference": request.reference, "reason": request.reason,
            "respond_by": request.due_at.isoformat()}


def _ask(*, actor: Actor, recipient: str, reason: str, now: datetime.datetime,
         subject: Subject | None = None, reference: str = "",
         erasure_run: uuid.UUID | None = None) -> DeletionRequest:
    """Open one request, audited, and queue its webhook when the recipient has an endpoint.
    A contract end is forwarded by staff: the suspended recipient's hosts are closed to
    egress, and the return or deletion of all its data is a formal exchange."""
    request = DeletionRequest.objects.create(
        subject=subject, recipient=recipient, reason=reason, reference=reference,
        erasure_run=erasure_run, asked_at=now, due_at=now + datetime.timedelta(days=confirm_days()))
    counterparty = Counterparty.objects.filter(recipient=recipient).first()
    endpoint = counterparty.deletion_endpoint if counterparty else ""
    # Egress opens only an active recipient's hosts: a suspended or terminated one is asked
    # by staff, by hand, like a contract end.
    by_webhook = (bool(endpoint) and reason != ForwardReason.CONTRACT_END
                  and counterparty.status == Status.ACTIVE)
    audit.record(actor=actor, action="sharing.deletion_forwarded", subject=subject, obj=request,
                 purpose=PURPOSE if subject else "", legal_basis=BASIS,
                 detail={"recipient": recipient, "reason": reason,
                         "due_at": request.due_at.isoformat(),
                         "erasure_run": str(erasure_run) if erasure_run else None,
                         "by": "webhook" if by_webhook else "staff"})
    if by_webhook:
        outbox.enqueue(actor=actor, destination=endpoint, payload=payload(request),
                       concerns=request, subject=subject,
                       idempotency_key=f"sharing.deletion_request.{request.pk}")
    return request


def on_consent_ended(sender, *, event, actor: Actor, **kwargs) -> None:
    """``consent.signals.consent_ended`` receiver, in the ledger's transaction. An
    event without a recipient (a consent to the purpose itself) reaches every recipient that
    received the person's data for that purpose, processors included."""
    forward_withdrawal(actor=actor, subject=event.subject, purpose=event.purpose,
                       recipient=event.recipient)


@transaction.atomic
def forward_withdrawal(*, actor: Actor, subject: Subject, purpose: str,
                       recipient: str = "") -> list[DeletionRequest]:
    """Ask the recipient (or, without one, every recipient) that received the person's data
    for the withdrawn purpose to delete it; none when the ledger shows nothing was
    provided. A request still open for the same recipient is not repeated."""
    from piwarden.sharing.services import revoke_packages

    # A package not yet fetched or pushed must not carry the person's data any more.
    revoke_packages(actor=actor, reason="consent_ended", recipient=recipient, subject=subject)
    rows = Disclosure.objects.filter(subject=subject, purpose=purpose, confidential=False)
    if recipient:
        rows = rows.filter(recipient=recipient)
    references = dict(rows.order_by("provided_at", "id").values_list("recipient", "reference"))
    requests, now = [], timezone.now()
    for key, reference in sorted(references.items()):
        pending = DeletionRequest.objects.filter(subject=subject, recipient=key,
                                                 reason=ForwardReason.WITHDRAWAL,
                                                 status__in=OPEN).first()
        requests.append(pending or _ask(actor=actor, recipient=key,
                                        reason=ForwardReason.WITHDRAWAL, now=now,
                                        subject=subject, reference=reference))
    return requests


def on_subjectdata_done(kind: str, obj) -> None:
    """``subjectdata.services.on_done`` callback, after the erasure's commit."""
    if kind == "erasure":
        forward_erasure(actor=SYSTEM, run_id=obj.pk)


def _erasure_reason(run) -> str:
    from piwarden.rights.models import RequestType, RightsRequest

    try:
        ref = uuid.UUID(run.request_ref)
    except ValueError:
        return ForwardReason.DELETION
    kind = RightsRequest.objects.filter(pk=ref).values_list("type", flat=True).first()
    return ForwardReason.CANCELLATION if kind == RequestType.CANCELLATION \
        else ForwardReason.DELETION


def _holders(run) -> dict[str, str]:
    """Recipient → the person's reference there, for every recipient the ledger says holds
    what this run erased. Authorities (provision the law requires) and provisions kept from
    the person are left out: neither is asked, nor named in the certificate."""
    authorities = set(Recipient.objects.filter(role=RecipientRole.AUTHORITY)
                      .values_list("key", flat=True))
    erased = set(run.categories) if run.categories is not None else None
    holders = {}
    for recipient in selectors.recipients_holding(run.subject):
        if recipient in authorities:
            continue
        for reference, categories in (
                Disclosure.objects.filter(subject=run.subject, recipient=recipient,
                                          confidential=False)
                .order_by("-provided_at").values_list("reference", "categories")):
            if erased is None or any(covered(c, erased) or covered(e, {c})
                                     for c in categories for e in erased):
                holders[recipient] = reference
                break
    return holders


@transaction.atomic
def forward_erasure(*, actor: Actor, run_id, now: datetime.datetime | None = None
                    ) -> list[DeletionRequest]:
    """Ask every recipient holding what a finished run erased to delete it, and list them in
    the run's certificate (left as it is when nobody holds anything). Once per run."""
    from piwarden.sharing.services import revoke_packages
    from piwarden.subjectdata import services as subjectdata
    from piwarden.subjectdata.models import ErasureRun, RunStatus

    run = ErasureRun.objects.select_for_update().select_related("subject").get(pk=run_id)
    if (run.status != RunStatus.DONE
            or DeletionRequest.objects.filter(erasure_run=run.pk).exists()):
        return []
    revoke_packages(actor=actor, reason="erasure", subject=run.subject)
    now = now or timezone.now()
    reason = _erasure_reason(run)
    requests = [_ask(actor=actor, recipient=recipient, reason=reason, now=now,
                     subject=run.subject, reference=reference, erasure_run=run.pk)
                for recipient, reference in sorted(_holders(run).items())]
    if requests:
        subjectdata.set_certificate_recipients(actor=actor, run_id=run.pk,
                                               recipients=certificate_entries(run.pk))
    return requests


def forward_missed_erasures(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Forward the erasures of the last days whose after-commit hook never ran (a worker
    stopped between the two); returns how many requests were opened."""
    from piwarden.subjectdata.models import ErasureRun, RunStatus

    now = now or timezone.now()
    runs = list(ErasureRun.objects.filter(
        status=RunStatus.DONE, done_at__gte=now - datetime.timedelta(days=RECONCILE_DAYS))
        .values_list("pk", flat=True))
    forwarded = set(DeletionRequest.objects.filter(erasure_run__in=runs)
                    .values_list("erasure_run", flat=True))
    return sum(len(forward_erasure(actor=actor, run_id=pk, now=now))
               for pk in runs if pk not in forwarded)


def certificate_entries(run_id) -> list[dict]:
    """The certificate's list of recipients: who was asked on which day, who confirmed."""
    requests = list(DeletionRequest.objects.filter(erasure_run=run_id).order_by("recipient"))
    names = {r.key: r for r in Recipient.objects.filter(
        key__in=[request.recipient for request in requests])}
    entries = []
    for request in requests:
        recipient = names.get(request.recipient)
        entries.append({
            "request": request.pk, "recipient": request.recipient,
            "legal_name": recipient.name if recipient else request.recipient,
            "name_en": recipient.name_en if recipient else "",
            "name_zh": recipient.name_zh if recipient else "",
            "asked_on": timezone.localdate(request.asked_at).isoformat(),
            "confirmed_on": (timezone.localdate(request.confirmed_at).isoformat()
                             if request.confirmed_at else None)})
    return entries


# --- confirmations and deadlines -------------------------------------------------------------

@transaction.atomic
def confirm(*, actor: Actor, deletion_request: DeletionRequest,
            confirmation: str = "") -> DeletionRequest:
    """The recipient confirms the deletion (through the API, or staff record it): stored with
    its reference and, for an erasure, written into the person's certificate. Confirming
    twice changes nothing."""
    from piwarden.subjectdata import services as subjectdata

    request = DeletionRequest.objects.select_for_update().get(pk=deletion_request.pk)
    if request.status == ForwardStatus.CONFIRMED:
        return request
    late = request.status == ForwardStatus.OVERDUE
    request.status, request.confirmed_at = ForwardStatus.CONFIRMED, timezone.now()
    request.confirmation = confirmation.strip()[:200]
    request.save(update_fields=["status", "confirmed_at", "confirmation"])
    audit.record(actor=actor, action="sharing.deletion_confirmed", subject=request.subject,
                 obj=request, purpose=PURPOSE if request.subject_id else "", legal_basis=BASIS,
                 detail={"recipient": request.recipient, "reason": request.reason,
                         "late": late})
    if request.erasure_run:
        subjectdata.set_certificate_recipients(actor=actor, run_id=request.erasure_run,
                                               recipients=certificate_entries(request.erasure_run))
    return request


@transaction.atomic
def mark_overdue(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Requests past their due date without a confirmation turn overdue; one alert per
    recipient names them. Returns how many turned overdue."""
    now = now or timezone.now()
    due = list(DeletionRequest.objects.select_for_update()
               .filter(status=ForwardStatus.ASKED, due_at__lt=now).order_by("recipient", "pk"))
    by_recipient: dict[str, list[DeletionRequest]] = defaultdict(list)
    for request in due:
        request.status = ForwardStatus.OVERDUE
        request.save(update_fields=["status"])
        audit.record(actor=actor, action="sharing.deletion_overdue", subject=request.subject,
                     obj=request, detail={"recipient": request.recipient,
                                          "reason": request.reason,
                                          "due_at": request.due_at.isoformat()})
        by_recipient[request.recipient].append(request)
    for recipient, requests in by_recipient.items():
        alerts.raise_alert(
            kind="sharing.deletion_overdue", severity=Severity.HIGH, source=str(actor),
            actor=actor,
            summary=f"{recipient} has not confirmed {len(requests)} deletion(s) forwarded to "
                    f"it by their due date.",
            detail={"recipient": recipient, "requests": [r.pk for r in requests],
                    "reasons": sorted({r.reason for r in requests})},
            subjects=[r.subject for r in requests if r.subject_id], objects=requests)
    return len(due)


# --- contract end (S-4.1.1e) -----------------------------------------------------------------

def _revoke_credentials(actor: Actor, counterparty: Counterparty) -> None:
    from piwarden.campaigns import services as campaigns
    from piwarden.campaigns.models import CampaignAccess
    from piwarden.clients import services as clients
    from piwarden.partners.models import PartnerClient

    for link in PartnerClient.objects.filter(counterparty=counterparty,
                                             client__is_active=True).select_related("client"):
        clients.revoke_client(actor=actor, client=link.client)
    for access in CampaignAccess.objects.filter(campaign__partner=counterparty.recipient,
                                                revoked_at=None):
        campaigns.revoke_access(actor=actor, access=access)


@transaction.atomic
def end_contract(*, actor: Actor, counterparty: Counterparty,
                 today: datetime.date | None = None) -> DeletionRequest | None:
    """The day after a processor's entrustment ends with no later one in force: suspend it,
    revoke its API keys and campaign logins, and open the request to return or delete all
    its data (reason ``contract_end``, no subject), tracked to its due date like any other.
    Once per ended contract; None when there is nothing (more) to do."""
    from piwarden.sharing import services as sharing

    today = today or timezone.localdate()
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    last_day = selectors.entrustment_ended_on(counterparty, today)
    if last_day is None:
        return None
    since = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min,
                                      tzinfo=timezone.get_current_timezone())
    if DeletionRequest.objects.filter(recipient=counterparty.recipient,
                                      reason=ForwardReason.CONTRACT_END,
                                      asked_at__gte=since).exists():
        return None
    if counterparty.status not in selectors.ENDED:
        sharing.change_counterparty_status(
            actor=actor, counterparty=counterparty, status=Status.SUSPENDED,
            reason=f"its entrustment contract ended on {last_day.isoformat()}")
    _revoke_credentials(actor, counterparty)
    return _ask(actor=actor, recipient=counterparty.recipient,
                reason=ForwardReason.CONTRACT_END, now=timezone.now())


def end_contracts(*, actor: Actor, today: datetime.date | None = None) -> list[str]:
    """``end_contract`` for every counterparty whose entrustment has ended; the recipients
    it acted on."""
    today = today or timezone.localdate()
    ended = []
    for counterparty in Counterparty.objects.filter(
            contracts__kind=ContractKind.ENTRUSTMENT).distinct():
        if selectors.contract_ended(counterparty, today) and end_contract(
                actor=actor, counterparty=counterparty, today=today):
            ended.append(counterparty.recipient)
    return ended


def daily(*, actor: Actor, now: datetime.datetime | None = None) -> dict[str, int]:
    """The daily job: forward missed erasures, end contracts, mark overdue requests."""
    now = now or timezone.now()
    return {"forwarded": forward_missed_erasures(actor=actor, now=now),
            "contracts_ended": len(end_contracts(actor=actor, today=timezone.localdate(now))),
            "overdue": mark_overdue(actor=actor, now=now)}
