"""Partners that send PI the person authorized them to share (policy §2.3, PIPL Art. 23).

The PI of a partner record lives in the vault (fields ``name``, ``phone``, ``email`` of a
``partner_person`` subject); these tables keep only where it came from: the partner, the import
batch and the person's authorization (reference, scope, date), so the person can see the source.
"""

from django.db import models

from piwarden.clients.models import ApiClient
from piwarden.subjects.models import Subject


class Partner(models.Model):
    """One supplying party: a catalog recipient with the role ``independent_handler``, and
    one counterparty of the legal-entity registry (``sharing.Counterparty``), whose status and
    contracts also govern its API keys."""

    recipient = models.CharField(max_length=100, unique=True,
                                 help_text="Catalog recipient key, e.g. partner.data_source")
    counterparty = models.OneToOneField("sharing.Counterparty", on_delete=models.PROTECT,
                                        related_name="partner")
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PartnerClient(models.Model):
    """An API client of one counterparty of the registry (a client serves one): a partner's
    import client, or a recipient's client that confirms forwarded deletions (no partner).
    The counterparty's suspension or contract end shuts all of them out."""

    client = models.OneToOneField(ApiClient, on_delete=models.CASCADE, related_name="partner_link")
    counterparty = models.ForeignKey("sharing.Counterparty", on_delete=models.CASCADE,
                                     related_name="api_clients")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="clients")

    def __str__(self):
        return f"{self.client} → {self.partner or self.counterparty}"


class ImportBatch(models.Model):
    """One submitted batch; its counts are what the batch's audit record summarizes."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="batches")
    reference = models.CharField(max_length=100, blank=True)
    client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL)
    notice_version = models.CharField(max_length=32)
    received = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "import batches"

    def __str__(self):
        return f"Batch {self.pk} of {self.partner}"


class PartnerRecord(models.Model):
    """One person's record from one partner: the source and authorization, never the PI."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="partner_records")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="records")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="records")
    external_id = models.CharField(max_length=100)
    categories = models.JSONField(default=list)
    authorization_reference = models.CharField(max_length=200)
    authorization_categories = models.JSONField(default=list)
    authorization_purposes = models.JSONField(default=list)
    authorized_on = models.DateField()
    authorization_expires_on = models.DateField(null=True, blank=True)
    notice_version = models.CharField(max_length=32)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["partner", "external_id"],
                                               name="partners_record_external_id_unique")]

    def __str__(self):
        return f"{self.partner} record {self.external_id}"
