"""Who receives PI: the run-time state of the catalog's recipients and flows, and the ledger.

The catalog declares who a recipient is (name, USCC, role, country, contact, allowlist, hosts)
and which processing activities provide PI to it (the flows). This app keeps what changes at
run time, keyed by the catalog keys: status, contracts, assessments, attestations, and every
provision made (``Provision`` per batch, ``Disclosure`` per person and recipient). Written only
by ``sharing.services``.
"""

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone

from piwarden.subjects.models import Subject


class Status(models.TextChoices):
    """One life cycle for recipients and flows; only ``active`` lets PI through."""

    DRAFT = "draft", "Draft"
    PENDING_ASSESSMENT = "pending_assessment", "Waiting for its impact assessment"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class Counterparty(models.Model):
    """One legal entity of the registry: a catalog recipient (processor, affiliate, handler,
    authority) or a partner that sends PI (``partners.Partner`` points here)."""

    recipient = models.CharField(max_length=64, unique=True, help_text="Catalog recipient key.")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    deletion_endpoint = models.URLField(
        blank=True, help_text="Where deletion requests are posted (its host must be one of "
                              "the recipient's hosts); empty: staff forward them by hand.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recipient"]
        verbose_name_plural = "counterparties"

    def __str__(self):
        return self.recipient


class Method(models.TextChoices):
    DOWNLOAD = "download", "Sealed package, expiring link"
    PUSH = "push", "Pushed to its endpoint"


class Flow(models.Model):
    """One processing activity's provision to one recipient (a ROPA flow, Z-2)."""

    activity = models.CharField(max_length=64, help_text="Catalog processing activity key.")
    recipient = models.CharField(max_length=64, help_text="Catalog recipient key.")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    legal_basis = models.CharField(max_length=64)
    categories = models.JSONField(
        default=list, help_text="The allowlist: only these categories ever leave.")
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.DOWNLOAD)
    endpoint = models.URLField(blank=True, help_text="HTTPS endpoint for pushed packages.")
    cross_border = models.BooleanField(
        default=False, help_text="The recipient is outside the PRC: held for the cross-border "
                                 "controls (PIPL Art. 38-40) and never activated here.")
    status_reason = models.TextField(blank=True)
    terms_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When what a consent to this flow covers last grew "
        "(categories, method, basis): consents given before it no longer count.")
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.CharField(max_length=160, blank=True)

    class Meta:
        ordering = ["activity", "recipient"]
        constraints = [models.UniqueConstraint(fields=["activity", "recipient"],
                                               name="sharing_one_flow_per_pair")]

    def __str__(self):
        return f"{self.activity} → {self.recipient}"


class ContractKind(models.TextChoices):
    ENTRUSTMENT = "entrustment", "Entrusted processing contract (PIPL Art. 21)"
    CONFIDENTIALITY = "confidentiality", "Confidentiality agreement"
    SHARING = "sharing", "Data sharing agreement (PIPL Art. 23)"
    JOINT = "joint", "Joint handling agreement (PIPL Art. 20)"


class Contract(models.Model):
    """A signed agreement with a counterparty; an entrustment carries the Art. 21 content."""

    counterparty = models.ForeignKey(Counterparty, on_delete=models.PROTECT,
                                     related_name="contracts")
    kind = models.CharField(max_length=16, choices=ContractKind.choices)
    reference = models.CharField(max_length=100)
    purpose = models.TextField(blank=True)
    method = models.TextField(blank=True, help_text="How the processor processes the PI.")
    categories = models.JSONField(default=list, blank=True)
    protection_measures = models.TextField(blank=True)
    return_or_deletion = models.TextField(
        blank=True, help_text="What happens to the PI when the contract ends.")
    subprocessing_allowed = models.BooleanField(
        default=False, help_text="Sub-processing only with the operator's consent.")
    signed_on = models.DateField()
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    terminated_on = models.DateField(null=True, blank=True)
    created_by = models.CharField(max_length=160)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["counterparty", "-starts_on"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"

    def in_force(self, day) -> bool:
        return (self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
                and (self.terminated_on is None or day < self.terminated_on))


class SubProcessor(models.Model):
    """A processor's own processor, used only with the operator's consent (Art. 21)."""

    counterparty = models.ForeignKey(Counterparty, on_delete=models.PROTECT,
                                     related_name="subprocessors")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    service = models.CharField(max_length=200)
    approved_on = models.DateField()
    approved_by = models.CharField(max_length=160)
    removed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["counterparty", "name"]

    def __str__(self):
        return self.name


class AssessmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


KEEP_ASSESSMENT_DAYS = 3 * 366  # PIPL Art. 56: at least three years


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class AssessmentKept(Exception):
    """PIPIA reports are kept at least three years (PIPL Art. 56)."""


class Assessment(models.Model):
    """A PI protection impact assessment (PIPIA, PIPL Art. 55-56) of one or more flows."""

    flows = models.ManyToManyField(Flow, related_name="assessments")
    title = models.CharField(max_length=200)
    triggers = models.JSONField(default=list, help_text="Why Art. 55 requires it.")
    standing = models.BooleanField(
        default=False, help_text="One standing assessment covers all flows to authorities.")
    status = models.CharField(max_length=16, choices=AssessmentStatus.choices,
                              default=AssessmentStatus.OPEN)
    risk = models.CharField(max_length=8, choices=Risk.choices, blank=True)
    findings = models.TextField(blank=True)
    measures = models.TextField(blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=160, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        permissions = [("decide_assessment", "Can approve or reject an impact assessment")]

    def __str__(self):
        return self.title

    def delete(self, *args, **kwargs):
        if self.opened_at > timezone.now() - timedelta(days=KEEP_ASSESSMENT_DAYS):
            raise AssessmentKept("an impact assessment is kept at least three years")
        return super().delete(*args, **kwargs)


class Attestation(models.Model):
    """A processor's yearly statement that it processes as the contract says."""

    counterparty = models.ForeignKey(Counterparty, on_delete=models.PROTECT,
                                     related_name="attestations")
    attested_on = models.DateField()
    valid_until = models.DateField()
    reference = models.CharField(max_length=100)
    received_by = models.CharField(max_length=160)

    class Meta:
        ordering = ["-attested_on"]

    def __str__(self):
        return f"attestation {self.reference}"


class ProvisionStatus(models.TextChoices):
    REFUSED = "refused", "Nothing left: nobody had a basis"
    READY = "ready", "Package ready to fetch"
    PUSHING = "pushing", "Being pushed"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Delivery failed"
    EXPIRED = "expired", "Link expired, package deleted"


class Provision(models.Model):
    """One batch that passed the gateway: what was asked, what left, what was dropped."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="provisions")
    actor = models.CharField(max_length=160)
    categories = models.JSONField(default=list, help_text="What the package holds.")
    stripped = models.JSONField(default=list, help_text="Asked for, outside the allowlist.")
    considered = models.PositiveIntegerField(default=0)
    provided = models.PositiveIntegerField(default=0)
    dropped = models.JSONField(default=dict, help_text="People left out, per reason.")
    subjects_digest = models.CharField(max_length=64, help_text="SHA-256 of the provided ids.")
    status = models.CharField(max_length=16, choices=ProvisionStatus.choices)
    package = models.CharField(max_length=300, blank=True, help_text="Encrypted file.")
    package_key = models.BinaryField(editable=False, help_text="Wrapped by the master key.")
    package_key_version = models.PositiveIntegerField(default=0)
    package_sha256 = models.CharField(max_length=64, blank=True)
    token_hash = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("provide", "Can provide PI to a recipient through the gateway")]

    def __str__(self):
        return f"provision {str(self.id)[:8]} on {self.flow}"


class Disclosure(models.Model):
    """The disclosure register: one row per person and recipient per provision (the evidence
    of who received whose data, and where deletions must be forwarded)."""

    provision = models.ForeignKey(Provision, on_delete=models.PROTECT, related_name="rows")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="disclosures")
    recipient = models.CharField(max_length=64)
    activity = models.CharField(max_length=64)
    purpose = models.CharField(max_length=64)
    legal_basis = models.CharField(max_length=64)
    categories = models.JSONField(default=list)
    reference = models.CharField(
        max_length=32, help_text="The person's pseudonym for this recipient (in the package).")
    confidential = models.BooleanField(
        default=False, help_text="Provision to an authority the law keeps from the person "
                                 "(PIPL Art. 18, 45): withheld from their view, counted.")
    provided_at = models.DateTimeField()

    class Meta:
        ordering = ["-provided_at", "-id"]
        indexes = [models.Index(fields=["subject", "recipient"]),
                   models.Index(fields=["recipient", "provided_at"])]

    def __str__(self):
        return f"{self.recipient} received {self.activity}"


class ForwardReason(models.TextChoices):
    WITHDRAWAL = "withdrawal", "Consent to this recipient withdrawn"
    DELETION = "deletion", "Deletion of the person's data"
    CANCELLATION = "cancellation", "Account cancelled"
    CONTRACT_END = "contract_end", "Processing contract ended"


class ForwardStatus(models.TextChoices):
    ASKED = "asked", "Asked, waiting for confirmation"
    CONFIRMED = "confirmed", "Deletion confirmed"
    OVERDUE = "overdue", "Confirmation overdue"


class DeletionRequest(models.Model):
    """A deletion (or stop) forwarded to a recipient that holds the person's data (R-6.3)."""

    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="forwarded_deletions",
                                help_text="Empty for a contract end (all its data).")
    recipient = models.CharField(max_length=64)
    reason = models.CharField(max_length=16, choices=ForwardReason.choices)
    reference = models.CharField(max_length=32, blank=True)
    erasure_run = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ForwardStatus.choices,
                              default=ForwardStatus.ASKED)
    asked_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-asked_at"]
        indexes = [models.Index(fields=["status", "due_at"]),
                   models.Index(fields=["subject", "recipient"])]

    def __str__(self):
        return f"{self.get_reason_display()} → {self.recipient}"
