"""Cross-border transfers (PIPL Art. 38-40, the CAC Provisions of 2024): one record per
overseas flow with its mechanism, the handler's calendar-year counters, and who waits.

The flow itself (activity → recipient, allowlist, basis) is ``sharing.Flow``; a recipient
outside mainland China (Hong Kong, Macau and Taiwan included) marks its flows cross-border,
and only a ``TransferRecord`` with a valid mechanism lets them through the gateway. Written only
by ``transfers.services`` and the gateway guard (``transfers.guard``).
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piwarden.subjects.models import Subject


class Mechanism(models.TextChoices):
    """How a transfer is made lawful (PIPL Art. 38; Provisions Art. 5-8)."""

    BELOW_THRESHOLD = "below_threshold", _("None needed: below the volume thresholds")
    EXEMPT_CONTRACT = "exempt_contract", _("Exempt: necessary for a contract with the person")
    EXEMPT_HR = "exempt_hr", _("Exempt: cross-border human-resources management")
    EXEMPT_EMERGENCY = "exempt_emergency", _("Exempt: emergency to protect life, health or "
                                             "property")
    STANDARD_CONTRACT = "standard_contract", _("Standard contract, filed")
    GBA_CONTRACT = "gba_contract", _("Greater Bay Area standard contract, filed")
    CERTIFICATION = "certification", _("Personal information protection certification")
    SECURITY_ASSESSMENT = "security_assessment", _("CAC security assessment")


class ImportantData(models.TextChoices):
    UNDECLARED = "undeclared", _("Not declared yet")
    NONE = "none", _("None involved")
    INVOLVED = "involved", _("Important data involved")


class RecordStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class TransferRecord(models.Model):
    """One overseas flow: who receives what where, on which mechanism, and the Art. 39
    notice every person is given (zh-hans and en)."""

    flow = models.OneToOneField("sharing.Flow", on_delete=models.PROTECT,
                                related_name="transfer_record", verbose_name=_("flow"))
    country = models.CharField(_("country or region"), max_length=2,
                               help_text=_("ISO code; HK, MO and TW are outside mainland "
                                           "China."))
    categories = models.JSONField(_("categories"), default=list)
    important_data = models.CharField(_("important data"), max_length=12,
                                      choices=ImportantData.choices,
                                      default=ImportantData.UNDECLARED)
    mechanism = models.CharField(_("mechanism"), max_length=24, choices=Mechanism.choices)
    exemption_reason = models.TextField(_("why the exemption applies"), blank=True)
    reference = models.CharField(_("filing, certificate or approval reference"),
                                 max_length=120, blank=True)
    effective_on = models.DateField(_("takes effect on"), null=True, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    changed_on = models.DateField(_("contract changed on"), null=True, blank=True,
                                  help_text=_("A changed standard contract is filed again."))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    recipient_obligations = models.TextField(_("the recipient's obligations"), blank=True)
    notice_zh = models.TextField(_("how to exercise rights against the recipient (zh-hans)"),
                                 blank=True)
    notice_en = models.TextField(_("how to exercise rights against the recipient (en)"),
                                 blank=True)
    status = models.CharField(_("status"), max_length=12, choices=RecordStatus.choices,
                              default=RecordStatus.ACTIVE)
    reminded_for = models.DateField(null=True, blank=True, editable=False,
                                    help_text="The expiry date last reminded of.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=160, blank=True)

    class Meta:
        ordering = ["flow__recipient", "flow__activity"]
        verbose_name = _("transfer record")
        verbose_name_plural = _("transfer records")

    def __str__(self):
        return f"{self.flow} ({self.country})"


class YearCounter(models.Model):
    """Distinct people whose PI left mainland China this calendar year (China time), for the
    whole handler across every overseas recipient; one row per year and kind, locked by each
    batch so that two batches cannot both take the last places."""

    year = models.PositiveSmallIntegerField(_("year"))
    sensitive = models.BooleanField(_("sensitive personal information"))
    people = models.PositiveIntegerField(_("people"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "sensitive"],
                                               name="transfers_one_counter")]
        verbose_name = _("yearly counter")
        verbose_name_plural = _("yearly counters")

    def __str__(self):
        return f"{self.year} {'sensitive' if self.sensitive else 'non-sensitive'}: {self.people}"


class CountedPerson(models.Model):
    """That a person was counted in a year (once per kind): what makes the counters distinct.
    A person sent both kinds is counted in both."""

    year = models.PositiveSmallIntegerField()
    sensitive = models.BooleanField()
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "sensitive", "subject"],
                                               name="transfers_counted_once")]

    def __str__(self):
        return f"{self.year} {self.subject_id}"


class Hold(models.Model):
    """People of a batch held back at a threshold: they wait until the mechanism allows
    more (then ``release`` provides them on the same flow)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey(TransferRecord, on_delete=models.PROTECT, related_name="holds",
                               verbose_name=_("transfer record"))
    year = models.PositiveSmallIntegerField(_("year"))
    subject_ids = models.JSONField(_("people held back"), default=list)
    categories = models.JSONField(_("categories"), default=list)
    context = models.JSONField(default=dict, editable=False,
                               help_text="What the batch's caller handed the gateway (a "
                                         "transaction, say), handed again on release.")
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("held since"), default=timezone.now)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.CharField(_("released by"), max_length=160, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("held-back batch")
        verbose_name_plural = _("held-back batches")

    def __str__(self):
        return f"{len(self.subject_ids)} people held on {self.record}"
