"""API clients: the website's own back-ends and tools that call the piwarden API."""

from django.db import models


class Scope(models.TextChoices):
    """What a client may do; each scope maps to the Django permission a staff user needs."""

    CATALOG_READ = "catalog:read", "Read the data catalog"
    AUDIT_READ = "audit:read", "Read the audit trail"
    CONSENT_DECIDE = "consent:decide", "Ask for purpose decisions"
    CONSENT_READ = "consent:read", "Read people's consent records"
    CONSENT_WRITE = "consent:write", "Record consent choices people made on the website"
    COLLECTION_WRITE = "collection:write", "Send device, log and location events"
    DISCOVERY_SCAN = "discovery:scan", "Scan texts for personal information"
    LEADS_WRITE = "leads:write", "Submit leads left on the website"
    METRICS_READ = "metrics:read", "Read the Prometheus metrics (no PI)"
    PARTNERS_IMPORT = "partners:import", "Submit PI received from a partner, with its authorization"
    PAYMENTS_WRITE = "payments:write", "Record payment and invoice data"
    RIGHTS_READ = "rights:read", "Read rights requests"
    RIGHTS_WRITE = "rights:write", "Submit and handle rights requests"
    SHARING_CONFIRM = "sharing:confirm", "Confirm deletions forwarded to this recipient"
    SHARING_PROVIDE = "sharing:provide", "Provide PI to a recipient through the gateway"
    SHARING_READ = "sharing:read", "Read the registry of recipients and flows"
    SHARING_STATISTICS = "sharing:statistics", "Provide anonymized statistics on a statistics flow"


SCOPE_PERMISSIONS = {
    Scope.CATALOG_READ: "catalog.view_datacategory",
    Scope.AUDIT_READ: "audit.view_auditevent",
    Scope.CONSENT_DECIDE: "consent.view_consentstate",
    Scope.CONSENT_READ: "consent.view_consentevent",
    Scope.CONSENT_WRITE: "consent.add_consentevent",
    Scope.COLLECTION_WRITE: "collection.add_event",
    Scope.DISCOVERY_SCAN: "discovery.view_finding",
    Scope.LEADS_WRITE: "leads.add_lead",
    Scope.METRICS_READ: "jobs.view_job",
    Scope.PARTNERS_IMPORT: "partners.add_partnerrecord",
    Scope.PAYMENTS_WRITE: "payments.add_paymentprofile",
    Scope.RIGHTS_READ: "rights.view_rightsrequest",
    Scope.RIGHTS_WRITE: "rights.change_rightsrequest",
    Scope.SHARING_CONFIRM: "sharing.change_deletionrequest",
    Scope.SHARING_PROVIDE: "sharing.provide",
    Scope.SHARING_READ: "sharing.view_flow",
    Scope.SHARING_STATISTICS: "sharing.provide",
}


class ApiClient(models.Model):
    """A key is shown once at creation; only its SHA-256 is stored (keys are 256-bit random)."""

    name = models.CharField(max_length=100, unique=True)
    key_prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"
