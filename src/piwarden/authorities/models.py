"""Requests from authorities: a provision to an authority (never a public disclosure).

One request is one legal document from one organ: who asks, on which PIPL Art. 13(3)/(4)
basis, for whose data and which categories. Legal review narrows it, two other staff members
approve it, and only then does the sharing gateway let it through (``guard.AuthorityGuard``).
The legal document is sealed in the row itself (``documents``), so a rollback never leaves
an orphan file. Written only by ``authorities.services``.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganKind(models.TextChoices):
    COURT = "court", _("Court")
    POLICE = "police", _("Police / public security")
    PROCURATORATE = "procuratorate", _("Procuratorate")
    REGULATOR = "regulator", _("Regulator")
    OTHER = "other", _("Other organ")


class State(models.TextChoices):
    """received → reviewed → approved → delivered; refused at any step before delivery."""

    RECEIVED = "received", _("Received, awaiting legal review")
    REVIEWED = "reviewed", _("Reviewed, awaiting two approvals")
    APPROVED = "approved", _("Approved, ready to deliver")
    DELIVERED = "delivered", _("Delivered")
    REFUSED = "refused", _("Refused")


class AuthorityRequest(models.Model):
    # What the organ asks for.
    organ_name = models.CharField(_("requesting organ"), max_length=200)
    organ_country = models.CharField(_("country of the organ"), max_length=2,
                                     help_text=_("ISO code; CN for an organ of the PRC."))
    organ_kind = models.CharField(_("kind of organ"), max_length=16, choices=OrganKind.choices)
    document_reference = models.CharField(_("legal document reference"), max_length=120)
    activity = models.CharField(_("processing activity"), max_length=64)
    legal_basis = models.CharField(_("legal basis"), max_length=64)
    justification = models.TextField(_("justification"), blank=True,
                                     help_text=_("Required for an emergency basis (Art. 13(4))."))
    prc_approval_reference = models.CharField(
        _("PRC competent-authority approval reference"), max_length=120, blank=True,
        help_text=_("Required for a foreign organ (PIPL Art. 41)."))
    confidential = models.BooleanField(
        _("kept from the person"), default=False,
        help_text=_("PIPL Art. 18: only where a law or regulation requires confidentiality."))
    confidentiality_reference = models.CharField(_("confidentiality legal reference"),
                                                 max_length=200, blank=True)
    requested_subjects = models.JSONField(_("people asked for"), default=list)
    requested_categories = models.JSONField(_("categories asked for"), default=list)
    # The sealed legal document.
    document_id = models.UUIDField(default=uuid.uuid4, editable=False)
    document = models.BinaryField(editable=False, default=b"")
    document_type = models.CharField(_("document type"), max_length=40, blank=True)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    document_key = models.BinaryField(editable=False, default=b"",
                                      help_text="The document's key, wrapped by the master key.")
    document_key_version = models.PositiveIntegerField(default=0)
    document_uploaded_at = models.DateTimeField(_("document uploaded at"), null=True,
                                                blank=True)
    # Legal review (minimization).
    subjects = models.JSONField(_("people provided"), default=list)
    categories = models.JSONField(_("categories provided"), default=list)
    review_notes = models.TextField(_("review notes"), blank=True)
    reviewed_by = models.CharField(_("reviewed by"), max_length=160, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # Outcome.
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.RECEIVED)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    provision = models.ForeignKey("sharing.Provision", verbose_name=_("provision"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")
    notice_campaign = models.CharField(_("notice campaign"), max_length=64, blank=True)
    entered_by = models.CharField(_("entered by"), max_length=160)
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)
    decided_at = models.DateTimeField(_("refused or delivered at"), null=True, blank=True)
    delivered_by = models.CharField(_("delivered by"), max_length=160, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("provision to an authority")
        verbose_name_plural = _("provisions to authorities")
        permissions = [
            ("review_authorityrequest", _("Can review a request from an authority")),
            ("approve_authorityrequest", _("Can approve a request from an authority")),
            ("deliver_authorityrequest", _("Can deliver to an authority")),
            ("open_document", _("Can open an authority's legal document")),
        ]

    def __str__(self):
        return f"#{self.pk} {self.organ_name} {self.document_reference}"

    @property
    def foreign(self) -> bool:
        return self.organ_country != "CN"


class Approval(models.Model):
    """One staff member's approval; two, from people other than the one who entered it."""

    request = models.ForeignKey(AuthorityRequest, on_delete=models.PROTECT,
                                related_name="approvals")
    approver = models.CharField(_("approver"), max_length=160)
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)

    class Meta:
        ordering = ["approved_at"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [models.UniqueConstraint(fields=["request", "approver"],
                                               name="authorities_one_approval_per_person")]

    def __str__(self):
        return f"{self.approver} @ {self.approved_at:%Y-%m-%d}"
