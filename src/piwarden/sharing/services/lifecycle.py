"""Recipients and flows from draft to active and back: contracts, assessments, attestations.

A recipient (``Counterparty``) becomes active only when it is named in the catalog, inside the
PRC (others wait for the cross-border controls), and holds the agreements its role needs: a
confidentiality agreement for every company, and for a processor an entrustment contract with
the PIPL Art. 21 terms, an end date among them. A flow becomes active only when its recipient
is, its legal basis rests on PIPL Art. 13, and the impact assessment Art. 55 asks for is
approved by a privacy officer.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog.models import (
    DataCategory,
    Grade,
    LegalBasis,
    ProcessingActivity,
    Recipient,
    RecipientRole,
)
from piwarden.consent.erasure import covered
from piwarden.errors import ServiceError
from piwarden.sharing import guards, selectors
from piwarden.sharing.models import (
    Assessment,
    AssessmentStatus,
    Attestation,
    Contract,
    ContractKind,
    Counterparty,
    Flow,
    Method,
    Risk,
    Status,
    SubProcessor,
)

# Roles that receive PI as handlers of their own: consent-based provision needs a separate
# consent naming them (PIPL Art. 23).
HANDLER_ROLES = frozenset({RecipientRole.INDEPENDENT_HANDLER, RecipientRole.AFFILIATE_HANDLER,
                           RecipientRole.JOINT_HANDLER})
CONSENT_BASES = frozenset({"consent", "consent.separate", "consent.written"})
# The PIPL Art. 21 terms an entrustment contract must carry (plus its end date).
ART_21_TERMS = ("purpose", "method", "categories", "protection_measures", "return_or_deletion")
STANDING_AUTHORITY_TITLE = "Provision to competent authorities (standing assessment)"
ATTESTATION_DAYS = 366


class SharingError(ServiceError):
    def __init__(self, code: str, message: str, *, status: int = 409, detail=None):
        super().__init__(code, message, status=status, detail=detail)


def catalog_recipient(key: str) -> Recipient:
    recipient = Recipient.objects.filter(key=key, retired=False).first()
    if recipient is None:
        raise SharingError("UNKNOWN_RECIPIENT", f"'{key}' is not a recipient in the catalog.",
                           status=404)
    return recipient


def _sensitive_keys() -> set[str]:
    """Sensitive categories and every category that has a sensitive one below it."""
    keys = set()
    for key in DataCategory.objects.filter(grade=Grade.SENSITIVE,
                                           retired=False).values_list("key", flat=True):
        parts = key.split(".")
        keys.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    return keys


def triggers(flow: Flow, recipient: Recipient, activity: ProcessingActivity) -> list[str]:
    """Why PIPL Art. 55 requires an impact assessment before this flow may run (Z-5)."""
    found = []
    if _sensitive_keys().intersection(flow.categories):
        found.append("sensitive")
    if recipient.role == RecipientRole.PROCESSOR:
        found.append("processor")
    if recipient.role in HANDLER_ROLES:
        found.append("provision_to_handler")
    if "public_disclosure" in (activity.purpose.separate or []):
        found.append("public_disclosure")
    if recipient.country != "CN":
        found.append("cross_border")
    if recipient.role == RecipientRole.AUTHORITY:
        found.append("authority")
    return found


def allowlist(activity: ProcessingActivity, recipient: Recipient) -> list[str]:
    """The activity's categories that the recipient may receive (all of them when the
    recipient declares no allowlist of its own)."""
    declared = sorted(activity.categories.values_list("key", flat=True))
    if not recipient.categories:
        return declared
    allowed = set(recipient.categories)
    narrowed = {key for key in declared if covered(key, allowed)}
    # An activity may declare a parent ("user.contact") of what the recipient allows.
    narrowed |= {key for key in allowed if any(covered(key, {d}) for d in declared)}
    return sorted(narrowed)


def _basis(activity: ProcessingActivity) -> str:
    """The first basis of the activity that rests on PIPL Art. 13 by itself."""
    for basis in activity.legal_bases.order_by("position"):
        if basis.pipl_13 is not None:
            return basis.key
    return ""


@dataclass
class SyncResult:
    counterparties: int = 0
    flows: int = 0
    assessments: int = 0
    changed: int = 0  # flows narrowed, moved across the border, or suspended


def named(recipient: Recipient) -> bool:
    """A party the catalog names, not a type of party the policy mentions: a legal name and a
    country (an authority is named per request, by the organ that asks)."""
    return bool(recipient.country and (recipient.legal_name
                                       or recipient.role == RecipientRole.AUTHORITY))


@transaction.atomic
def sync(*, actor: Actor) -> SyncResult:
    """Make the run-time registry match the catalog: a counterparty per recipient, a flow per
    activity and named recipient it names, and an open assessment for each new flow that needs
    one. State is kept (statuses, narrowed allowlists); a flow's allowlist only ever narrows to
    what the catalog still allows, its cross-border mark follows the recipient's country, and
    flows the catalog no longer declares are suspended. Runs on every catalog load."""
    result = SyncResult()
    recipients = {r.key: r for r in Recipient.objects.filter(retired=False)}
    for key in recipients:
        _, created = Counterparty.objects.get_or_create(recipient=key)
        result.counterparties += created
    flows = {(f.activity, f.recipient): f for f in Flow.objects.all()}
    declared = set()
    activities = ProcessingActivity.objects.filter(retired=False).select_related("purpose")
    for activity in activities.prefetch_related("recipients", "categories", "legal_bases"):
        for recipient in activity.recipients.all():
            if recipient.key not in recipients or not named(recipient):
                continue
            declared.add((activity.key, recipient.key))
            allowed = allowlist(activity, recipient)
            flow = flows.get((activity.key, recipient.key))
            if flow is None:
                flow = Flow.objects.create(
                    activity=activity.key, recipient=recipient.key,
                    legal_basis=_basis(activity), categories=allowed,
                    cross_border=recipient.country != "CN")
                result.flows += 1
                result.assessments += _open_assessment(flow, recipient, activity)
                continue
            narrowed = sorted(c for c in flow.categories if covered(c, set(allowed)))
            cross_border = recipient.country != "CN"
            if (narrowed, cross_border) != (flow.categories, flow.cross_border):
                flow.categories, flow.cross_border = narrowed, cross_border
                flow.save(update_fields=["categories", "cross_border"])
                result.changed += 1
            result.changed += _reexamine(flow, recipient, activity)
    for key, flow in flows.items():
        if key not in declared and flow.status not in (Status.SUSPENDED, Status.TERMINATED):
            _set_status(flow, Status.SUSPENDED, "no longer declared in the catalog")
            result.changed += 1
    if result.counterparties or result.flows or result.changed:  # a reload changes nothing
        audit.record(actor=actor, action="sharing.registry_synced",
                     detail={"counterparties": result.counterparties, "flows": result.flows,
                             "assessments": result.assessments, "changed": result.changed})
    return result


def _reexamine(flow: Flow, recipient: Recipient, activity: ProcessingActivity) -> int:
    """A catalog change can make an existing flow need more: a reason for an impact
    assessment that no assessment of it covered (a new role, a sensitive category, a country)
    opens one and holds the flow; an endpoint no longer at one of the recipient's hosts stops
    it. Returns 1 when the flow changed."""
    covered_triggers = {t for a in flow.assessments.all() for t in a.triggers}
    if recipient.role != RecipientRole.AUTHORITY and \
            set(triggers(flow, recipient, activity)) - covered_triggers:
        before = flow.status
        flow.assessments.filter(standing=False, status=AssessmentStatus.OPEN).update(
            status=AssessmentStatus.REJECTED, findings="Superseded by a catalog change.")
        _open_assessment(flow, recipient, activity)
        flow.refresh_from_db()
        if before == Status.ACTIVE and flow.status == Status.ACTIVE:
            _set_status(flow, Status.PENDING_ASSESSMENT, "the catalog changed: waiting for "
                        "its impact assessment")
        return 1
    if flow.endpoint and flow.status == Status.ACTIVE and not selectors.at_declared_host(
            recipient, flow.endpoint):
        _set_status(flow, Status.SUSPENDED, "its endpoint is no longer one of the recipient's "
                    "hosts")
        return 1
    return 0


def _open_assessment(flow: Flow, recipient: Recipient, activity: ProcessingActivity) -> int:
    found = triggers(flow, recipient, activity)
    if "cross_border" in found:
        _set_status(flow, Status.PENDING_ASSESSMENT,
                    "held for the cross-border controls (PIPL Art. 38-40)")
    if not found:
        return 0
    if recipient.role == RecipientRole.AUTHORITY:
        standing = Assessment.objects.filter(standing=True).first()
        if standing is None:
            standing = Assessment.objects.create(title=STANDING_AUTHORITY_TITLE, standing=True,
                                                 triggers=["authority"])
        standing.flows.add(flow)
        if standing.status != AssessmentStatus.APPROVED:
            _set_status(flow, Status.PENDING_ASSESSMENT, "waiting for its impact assessment")
        return 0
    assessment = Assessment.objects.create(
        title=f"{activity.name_en} → {recipient.name}"[:200], triggers=found)
    assessment.flows.add(flow)
    _set_status(flow, Status.PENDING_ASSESSMENT, "waiting for its impact assessment")
    return 1


def _set_status(obj, status: str, reason: str) -> None:
    obj.status, obj.status_reason = status, reason
    fields = ["status", "status_reason"]
    if isinstance(obj, Counterparty):
        obj.status_changed_at = timezone.now()
        fields.append("status_changed_at")
    obj.save(update_fields=fields)


# --- agreements ----------------------------------------------------------------------------

@transaction.atomic
def add_contract(*, actor: Actor, counterparty: Counterparty, kind: str, reference: str,
                 signed_on: date, starts_on: date, ends_on: date | None = None,
                 purpose: str = "", method: str = "", categories: list[str] | None = None,
                 protection_measures: str = "", return_or_deletion: str = "",
                 subprocessing_allowed: bool = False) -> Contract:
    """Record a signed agreement. An incomplete entrustment can be recorded (it is what was
    signed) but never activates the processor: ``activate_counterparty`` names what is missing."""
    if kind not in ContractKind.values:
        raise SharingError("UNKNOWN_CONTRACT_KIND", f"There is no contract kind '{kind}'.",
                           status=422)
    if not reference.strip():
        raise SharingError("REFERENCE_REQUIRED", "A contract needs its reference.", status=422)
    if ends_on is not None and ends_on < starts_on:
        raise SharingError("CONTRACT_ENDS_BEFORE_START", "The end date is before the start.",
                           status=422)
    contract = Contract.objects.create(
        counterparty=counterparty, kind=kind, reference=reference.strip(), signed_on=signed_on,
        starts_on=starts_on, ends_on=ends_on, purpose=purpose, method=method,
        categories=list(categories or []), protection_measures=protection_measures,
        return_or_deletion=return_or_deletion, subprocessing_allowed=subprocessing_allowed,
        created_by=str(actor))
    audit.record(actor=actor, action="sharing.contract_added", obj=contract,
                 detail={"recipient": counterparty.recipient, "kind": kind,
                         "ends_on": ends_on.isoformat() if ends_on else None})
    return contract


def missing_art21_terms(contract: Contract) -> list[str]:
    missing = [term for term in ART_21_TERMS if not getattr(contract, term)]
    if contract.ends_on is None:
        missing.append("ends_on")
    return missing


def contracts_in_force(counterparty: Counterparty, kind: str, day: date | None = None):
    day = day or timezone.localdate()
    return [c for c in counterparty.contracts.filter(kind=kind) if c.in_force(day)]


@transaction.atomic
def add_subprocessor(*, actor: Actor, counterparty: Counterparty, name: str, country: str,
                     service: str) -> SubProcessor:
    """A processor's own processor; only when its contract allows sub-processing with the
    operator's consent (Art. 21), which recording it here gives."""
    if not any(c.subprocessing_allowed for c in contracts_in_force(
            counterparty, ContractKind.ENTRUSTMENT)):
        raise SharingError("SUBPROCESSING_NOT_ALLOWED", "No entrustment contract in force "
                           "allows sub-processing.")
    sub = SubProcessor.objects.create(counterparty=counterparty, name=name, country=country,
                                      service=service, approved_on=timezone.localdate(),
                                      approved_by=str(actor))
    audit.record(actor=actor, action="sharing.subprocessor_added", obj=sub,
                 detail={"recipient": counterparty.recipient, "country": country})
    return sub


@transaction.atomic
def record_attestation(*, actor: Actor, counterparty: Counterparty, reference: str,
                       attested_on: date) -> Attestation:
    """The processor's yearly statement that it processes as agreed; valid one year."""
    attestation = Attestation.objects.create(
        counterparty=counterparty, reference=reference, attested_on=attested_on,
        valid_until=attested_on + timedelta(days=ATTESTATION_DAYS), received_by=str(actor))
    audit.record(actor=actor, action="sharing.attestation_recorded", obj=attestation,
                 detail={"recipient": counterparty.recipient})
    return attestation


def attestation_overdue(counterparty: Counterparty, today: date | None = None) -> bool:
    """A processor under contract for over a year needs a current attestation (counted from
    its first entrustment, so suspending and reactivating does not restart the clock)."""
    today = today or timezone.localdate()
    first = (counterparty.contracts.filter(kind=ContractKind.ENTRUSTMENT)
             .order_by("starts_on").values_list("starts_on", flat=True).first())
    if first is None or first > today - timedelta(days=ATTESTATION_DAYS):
        return False
    return not counterparty.attestations.filter(valid_until__gte=today).exists()


# --- activation ----------------------------------------------------------------------------

def activation_problems(counterparty: Counterparty, today: date | None = None) -> list[str]:
    """What stops this recipient from being active (empty: nothing)."""
    recipient = catalog_recipient(counterparty.recipient)
    problems = []
    if not named(recipient):
        problems.append("the catalog does not name it yet (legal name and country)")
    elif recipient.country != "CN":
        # Outside mainland China: the cross-border controls (the transfers app's guard)
        # say what still stops it.
        problems.extend(guards.counterparty_problems(counterparty, recipient))
    if recipient.role == RecipientRole.AUTHORITY:
        return problems
    if not contracts_in_force(counterparty, ContractKind.CONFIDENTIALITY, today):
        problems.append("no confidentiality agreement in force")
    if recipient.role == RecipientRole.PROCESSOR:
        entrustments = contracts_in_force(counterparty, ContractKind.ENTRUSTMENT, today)
        if not entrustments:
            problems.append("no entrustment contract (PIPL Art. 21) in force")
        elif all(missing_art21_terms(c) for c in entrustments):
            missing = missing_art21_terms(entrustments[0])
            problems.append("the entrustment contract lacks: " + ", ".join(missing))
    if recipient.role == RecipientRole.JOINT_HANDLER and not contracts_in_force(
            counterparty, ContractKind.JOINT, today):
        problems.append("no joint handling agreement (PIPL Art. 20) in force")
    return problems


@transaction.atomic
def activate_counterparty(*, actor: Actor, counterparty: Counterparty) -> Counterparty:
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    problems = activation_problems(counterparty)
    if problems:
        raise SharingError("CANNOT_ACTIVATE", f"'{counterparty.recipient}' cannot be "
                           "activated: " + "; ".join(problems) + ".", detail=problems)
    _set_status(counterparty, Status.ACTIVE, "")
    audit.record(actor=actor, action="sharing.counterparty_activated", obj=counterparty,
                 detail={"recipient": counterparty.recipient})
    return counterparty


@transaction.atomic
def change_counterparty_status(*, actor: Actor, counterparty: Counterparty, status: str,
                               reason: str) -> Counterparty:
    """Suspend or terminate a recipient (its flows stop at once); activation has its own
    checks and goes through ``activate_counterparty``."""
    if status not in (Status.SUSPENDED, Status.TERMINATED):
        raise SharingError("STATUS_NOT_ALLOWED", "Only suspended or terminated can be set "
                           "here.", status=422)
    if not reason.strip():
        raise SharingError("REASON_REQUIRED", "Say why.", status=422)
    _set_status(counterparty, status, reason.strip())
    audit.record(actor=actor, action="sharing.counterparty_" + status, obj=counterparty,
                 detail={"recipient": counterparty.recipient})
    from piwarden.sharing.services.gateway import revoke_packages

    revoke_packages(actor=actor, reason=status, recipient=counterparty.recipient)
    return counterparty


def _check_endpoint(recipient: Recipient, endpoint: str) -> None:
    """An endpoint must be at one of the hosts the catalog declares for the recipient."""
    from urllib.parse import urlsplit

    host = urlsplit(endpoint).hostname or ""
    if endpoint and not selectors.at_declared_host(recipient, endpoint):
        raise SharingError("HOST_NOT_DECLARED", f"'{host}' is not one of the hosts the catalog "
                           f"declares for '{recipient.key}'.", status=422)


@transaction.atomic
def set_deletion_endpoint(*, actor: Actor, counterparty: Counterparty,
                          endpoint: str) -> Counterparty:
    _check_endpoint(catalog_recipient(counterparty.recipient), endpoint)
    Counterparty.objects.filter(pk=counterparty.pk).update(deletion_endpoint=endpoint)
    counterparty.deletion_endpoint = endpoint
    audit.record(actor=actor, action="sharing.deletion_endpoint_set", obj=counterparty,
                 detail={"recipient": counterparty.recipient, "set": bool(endpoint)})
    return counterparty


def flow_problems(flow: Flow) -> list[str]:
    """What stops this flow from being active (empty: nothing)."""
    problems = []
    counterparty = Counterparty.objects.filter(recipient=flow.recipient).first()
    if counterparty is None or counterparty.status != Status.ACTIVE:
        problems.append("its recipient is not active")
    found = guards.problems(flow)
    problems.extend(problem.message for problem in found)
    if flow.cross_border and not found and not guards.for_flow(flow):
        problems.append("the recipient is outside the PRC: held for the cross-border controls")
    basis = LegalBasis.objects.filter(key=flow.legal_basis).first()
    if basis is None or basis.pipl_13 is None:
        problems.append(f"its legal basis '{flow.legal_basis}' does not rest on PIPL Art. 13")
    latest = flow.assessments.order_by("-opened_at", "-pk").first()
    if latest is not None and latest.status != AssessmentStatus.APPROVED:
        problems.append("its impact assessment is not approved")
    if flow.method == Method.PUSH and not flow.endpoint:
        problems.append("a pushed flow needs its endpoint")
    if not flow.categories:
        problems.append("its allowlist is empty")
    return problems


@transaction.atomic
def activate_flow(*, actor: Actor, flow: Flow) -> Flow:
    flow = Flow.objects.select_for_update().get(pk=flow.pk)
    problems = flow_problems(flow)
    if problems:
        raise SharingError("CANNOT_ACTIVATE", f"The flow {flow} cannot be activated: "
                           + "; ".join(problems) + ".", detail=problems)
    _set_status(flow, Status.ACTIVE, "")
    flow.activated_at, flow.activated_by = timezone.now(), str(actor)
    flow.save(update_fields=["activated_at", "activated_by"])
    audit.record(actor=actor, action="sharing.flow_activated", obj=flow,
                 purpose="", legal_basis=flow.legal_basis,
                 detail={"activity": flow.activity, "recipient": flow.recipient,
                         "categories": flow.categories})
    return flow


@transaction.atomic
def suspend_flow(*, actor: Actor, flow: Flow, reason: str) -> Flow:
    if not reason.strip():
        raise SharingError("REASON_REQUIRED", "Say why.", status=422)
    _set_status(flow, Status.SUSPENDED, reason.strip())
    audit.record(actor=actor, action="sharing.flow_suspended", obj=flow,
                 detail={"activity": flow.activity, "recipient": flow.recipient})
    from piwarden.sharing.services.gateway import revoke_packages

    revoke_packages(actor=actor, reason="flow_suspended", flow=flow)
    return flow


@transaction.atomic
def configure_flow(*, actor: Actor, flow: Flow, categories: list[str] | None = None,
                   legal_basis: str | None = None, method: str | None = None,
                   endpoint: str | None = None) -> Flow:
    """Narrow the allowlist, choose the basis among the activity's, set the delivery.

    A change that widens what leaves (a category not covered before, another basis or method)
    is a new flow as far as the law is concerned: an active flow goes back to be assessed and
    activated again, and consents given to it before the change no longer count (a new
    consent names the new terms, PIPL Art. 14 para 2)."""
    activity = ProcessingActivity.objects.get(key=flow.activity)
    recipient = catalog_recipient(flow.recipient)
    before = (list(flow.categories), flow.legal_basis, flow.method)
    if categories is not None:
        allowed = set(allowlist(activity, recipient))
        outside = [c for c in categories if not covered(c, allowed)]
        if outside:
            raise SharingError("CATEGORY_NOT_ALLOWED", "Outside what the activity declares and "
                               "the recipient may receive: " + ", ".join(outside), status=422)
        flow.categories = sorted(set(categories))
    if legal_basis is not None:
        basis = activity.legal_bases.filter(key=legal_basis).first()
        if basis is None:
            raise SharingError("BASIS_NOT_DECLARED", f"The activity declares no basis "
                               f"'{legal_basis}'.", status=422)
        if basis.pipl_13 is None:
            raise SharingError("BASIS_NOT_PIPL", f"'{legal_basis}' has no PIPL Art. 13 basis "
                               "of its own (policy §4.4(8)); choose the basis it rests on.",
                               status=422)
        flow.legal_basis = legal_basis
    if method is not None:
        if method not in Method.values:
            raise SharingError("UNKNOWN_METHOD", f"There is no method '{method}'.", status=422)
        flow.method = method
    if endpoint is not None:
        _check_endpoint(recipient, endpoint)
        flow.endpoint = endpoint
    widened = (any(not covered(c, set(before[0])) for c in flow.categories)
               or (flow.legal_basis, flow.method) != before[1:])
    if widened and flow.activated_at is not None:
        flow.terms_changed_at = timezone.now()
        if flow.status == Status.ACTIVE:
            flow.status, flow.status_reason = Status.DRAFT, "its terms changed: activate again"
            found = triggers(flow, recipient, activity)
            if found:
                assessment = Assessment.objects.create(
                    title=f"{activity.name_en} → {recipient.name} (changed)"[:200],
                    triggers=found)
                assessment.flows.add(flow)
                flow.status = Status.PENDING_ASSESSMENT
                flow.status_reason = "its terms changed: waiting for its impact assessment"
    flow.save()
    audit.record(actor=actor, action="sharing.flow_configured", obj=flow,
                 legal_basis=flow.legal_basis,
                 detail={"activity": flow.activity, "recipient": flow.recipient,
                         "categories": flow.categories, "method": flow.method})
    return flow


@transaction.atomic
def decide_assessment(*, actor: Actor, assessment: Assessment, approve: bool, risk: str,
                      findings: str, measures: str = "") -> Assessment:
    """A privacy officer's decision (the caller checks the permission). A rejection keeps
    the flows inactive; findings are required either way."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status != AssessmentStatus.OPEN:
        raise SharingError("ALREADY_DECIDED", "This assessment was decided already.")
    if risk not in Risk.values:
        raise SharingError("UNKNOWN_RISK", f"Risk is one of {', '.join(Risk.values)}.",
                           status=422)
    if not findings.strip():
        raise SharingError("FINDINGS_REQUIRED", "Record the findings.", status=422)
    assessment.status = AssessmentStatus.APPROVED if approve else AssessmentStatus.REJECTED
    assessment.risk, assessment.findings, assessment.measures = risk, findings, measures
    assessment.decided_at, assessment.decided_by = timezone.now(), str(actor)
    assessment.save()
    for flow in assessment.flows.filter(status=Status.PENDING_ASSESSMENT):
        _set_status(flow, Status.DRAFT if approve else Status.PENDING_ASSESSMENT,
                    "" if approve else "its impact assessment was rejected")
    audit.record(actor=actor, action="sharing.assessment_" + assessment.status,
                 obj=assessment, detail={"risk": risk, "flows": assessment.flows.count()})
    if risk == Risk.HIGH:  # a major change (6) of the policy (§VIII): a draft notice
        from piwarden.policy.services import note_high_risk
        note_high_risk(actor=actor, assessment=assessment)
    return assessment
