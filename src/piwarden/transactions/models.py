"""Corporate transactions (PIPL Art. 22): a merger, division, dissolution, bankruptcy or sale
that hands the people's PI to a new holder.

The new holder is the catalog recipient ``third_party.acquirer`` (its legal name and contact
come from the catalog, its run-time state is ``sharing.Counterparty``). Before anything goes to
it, every affected person is told who it is and how to reach it (one notify campaign per
transaction), the new holder undertakes in writing to stay bound by the policy version in force
when the transaction was recorded, and the export itself passes the sharing gateway, whose
guard (``transactions.guards``) checks all of this again. No PI value lives here: the affected
people are an audience (all active accounts, or a listed set of subject ids).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

RECIPIENT = "third_party.acquirer"
ACTIVITY = "transfer.corporate_transaction"


class Kind(models.TextChoices):
    MERGER = "merger", _("Merger")
    DIVISION = "division", _("Division")
    DISSOLUTION = "dissolution", _("Dissolution")
    BANKRUPTCY = "bankruptcy", _("Bankruptcy")
    ASSET_SALE = "asset_sale", _("Asset sale")
    OTHER = "other", _("Other transaction")


class Audience(models.TextChoices):
    ALL_ACCOUNTS = "all_accounts", _("All active accounts")
    LISTED = "listed", _("Listed people")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOTIFYING = "notifying", _("Notifying the people")
    NOTICES_COMPLETE = "notices_complete", _("Notices complete")
    EXPORTED = "exported", _("Exported to the new holder")
    CANCELLED = "cancelled", _("Cancelled")


class CorporateTransaction(models.Model):
    """One transaction and the state of its Art. 22 steps."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parties = models.TextField(_("parties"), help_text=_("The companies taking part."))
    recipient = models.CharField(_("new holder"), max_length=64, default=RECIPIENT,
                                 editable=False, help_text=_("Catalog recipient key."))
    categories = models.JSONField(_("categories"), default=list,
                                  help_text=_("Inside the flow's allowlist."))
    audience = models.CharField(_("affected people"), max_length=16, choices=Audience.choices,
                                default=Audience.ALL_ACCOUNTS)
    subject_ids = models.JSONField(_("listed subject ids"), default=list, blank=True)
    policy_version = models.ForeignKey("policy.PolicyVersion", on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("policy version"))
    policy_version_label = models.CharField(_("policy version bound to"), max_length=32)
    undertaking_reference = models.CharField(_("undertaking reference"), max_length=200,
                                             blank=True)
    undertaking_date = models.DateField(_("undertaking date"), null=True, blank=True)
    processing_change = models.TextField(
        _("change of purpose or method"), blank=True,
        help_text=_("What the new holder changes; new consent is needed before export."))
    processing_change_at = models.DateTimeField(_("change recorded"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT)
    # notify.Campaign and sharing.Provision ids as plain references (like policy.PolicyVersion).
    campaign_id = models.CharField(_("notice campaign"), max_length=64, blank=True)
    provision_id = models.CharField(_("provision"), max_length=64, blank=True)
    created_by = models.CharField(_("created by"), max_length=160)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("corporate transaction")
        verbose_name_plural = _("corporate transactions")
        permissions = [("export_corporatetransaction",
                        _("Can export a transaction's data to the new holder")),
                       ("sample_corporatetransaction",
                        _("Can produce a masked data-room sample"))]

    def __str__(self):
        return self.title

    @property
    def undertaking_recorded(self) -> bool:
        return bool(self.undertaking_reference and self.undertaking_date)
