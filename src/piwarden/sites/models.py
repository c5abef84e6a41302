"""The operator's sites and services, their handlers, and discontinuation (docs/sites.md).

A ``Site`` is a domain the operator runs; an ``Offering`` is one service of it (a catalog
function, ``functions:``). Each names the legal entity that actually provides it (D-1.1): the
catalog's own handler (``default_handler``) or an entity of the legal-entity registry
(``sharing.Counterparty``, e.g. an affiliate). Written only by ``sites.services``.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SiteStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class OfferingStatus(models.TextChoices):
    """active → sunsetting (notice out, end date set) → ended (closed, data cleaned up)."""

    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    SUNSETTING = "sunsetting", _("Ending soon")
    ENDED = "ended", _("Ended")


def _one_handler(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(default_handler=False) | Q(handler__isnull=True),
        name=f"{prefix}_one_handler_binding")


class Site(models.Model):
    domain = models.CharField(_("domain"), max_length=253, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    default_handler = models.BooleanField(
        _("run by the catalog's handler"), default=False,
        help_text=_("The handler named at the top of the catalog."))
    handler = models.ForeignKey(
        "sharing.Counterparty", verbose_name=_("handler entity"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="sites")
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", verbose_name=_("policy version"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="sites")
    status = models.CharField(_("status"), max_length=16, choices=SiteStatus.choices,
                              default=SiteStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [_one_handler("site")]

    def __str__(self):
        return self.domain

    @property
    def has_handler(self) -> bool:
        return self.default_handler or self.handler_id is not None


class Offering(models.Model):
    """One service or product: a catalog function offered on a site by a handler."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT,
                             related_name="offerings")
    function = models.CharField(_("catalog function"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    default_handler = models.BooleanField(_("provided by the catalog's handler"), default=False)
    handler = models.ForeignKey(
        "sharing.Counterparty", verbose_name=_("handler entity"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="offerings")
    status = models.CharField(_("status"), max_length=16, choices=OfferingStatus.choices,
                              default=OfferingStatus.DRAFT, db_index=True)
    notice_at = models.DateTimeField(
        _("notice scheduled for"), null=True, blank=True,
        help_text=_("When the discontinuation notice goes out (its campaign starts)."))
    notice_published_at = models.DateTimeField(_("notice published at"), null=True,
                                               blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True,
                                help_text=_("First day without the service (China time)."))
    ends_at = models.DateTimeField(_("closes at"), null=True, blank=True,
                                   help_text=_("00:00 China time on the end date."))
    campaign = models.CharField(_("notice campaign"), max_length=64, blank=True,
                                help_text=_("The notify campaign's id."))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    report = models.JSONField(_("clean-up report"), default=dict, blank=True)
    changed_by = models.CharField(max_length=160, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["site", "function"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            _one_handler("offering"),
            models.UniqueConstraint(fields=["site", "function"], name="offering_one_per_site"),
        ]

    def __str__(self):
        return f"{self.function} @ {self.site_id}"

    @property
    def has_handler(self) -> bool:
        return self.default_handler or self.handler_id is not None
