"""The data catalog in the database: a read-only copy of the operator's YAML file.

Rows are written only by ``services.load_catalog``. An entry removed from the file is marked
``retired`` instead of deleted, so audit records and other rows that name its key stay valid.
"""

from django.db import models
from django.utils import timezone


class Grade(models.TextChoices):
    """Classification grades L1-L4 (GB/T 43697-2024 style); ``sensitive`` is PIPL Art. 28 SPI."""

    PUBLIC = "public", "L1 public"
    INTERNAL = "internal", "L2 internal"
    PERSONAL = "personal", "L3 personal information"
    SENSITIVE = "sensitive", "L4 sensitive personal information"


GRADE_LEVELS = {
    Grade.PUBLIC: "L1", Grade.INTERNAL: "L2", Grade.PERSONAL: "L3", Grade.SENSITIVE: "L4",
}


class ConsentRequirement(models.TextChoices):
    NONE = "none", "No consent needed (another legal basis)"
    CONSENT = "consent", "Consent"
    SEPARATE = "separate", "Separate consent (PIPL Art. 23, 25, 29, 39)"


class RecipientRole(models.TextChoices):
    """The legal role drives the consent and contract duties (PIPL Art. 20, 21, 23)."""

    AFFILIATE_HANDLER = "affiliate_handler", "Affiliate acting as a separate handler"
    INDEPENDENT_HANDLER = "independent_handler", "Independent handler"
    PROCESSOR = "processor", "Entrusted processor (Art. 21)"
    JOINT_HANDLER = "joint_handler", "Joint handler (Art. 20)"
    AUTHORITY = "authority", "Competent authority"


class RecipientStatus(models.TextChoices):
    DRAFT = "draft", "Draft: a type the policy names, not yet a named, contracted party"
    ACTIVE = "active", "Active: named and contracted"


class CatalogEntry(models.Model):
    """Fields every catalog table shares; ``position`` keeps the file's order."""

    key = models.CharField(max_length=64, unique=True)
    position = models.PositiveIntegerField(default=0)
    retired = models.BooleanField(default=False, db_index=True)

    class Meta:
        abstract = True
        ordering = ["position", "key"]

    def __str__(self):
        return self.key


class LegalBasis(CatalogEntry):
    """A PIPL Art. 13 item, a consent form, or a policy §4.4 exception mapped onto Art. 13."""

    name_en = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200)
    article = models.CharField(max_length=100, blank=True)
    pipl_13 = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The PIPL Art. 13 item (1-7) this basis rests on."
    )
    only_with = models.JSONField(
        default=list, blank=True, help_text="An activity naming this basis must also name one."
    )
    description = models.TextField(blank=True)
    policy_ref = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)

    class Meta(CatalogEntry.Meta):
        verbose_name_plural = "legal bases"


class DataCategory(CatalogEntry):
    """A kind of data, in a dotted hierarchy (``user.contact.phone``) with a grade."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name_en = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    grade = models.CharField(max_length=16, choices=Grade.choices, db_index=True)
    anonymized = models.BooleanField(
        default=False, help_text="Anonymized data is not PI (PIPL Art. 4) and outside DSR scope."
    )
    collectable = models.BooleanField(
        default=True, help_text="False: named by the policy but not collected (e.g. a website "
        "cannot read an app installation list)."
    )
    second_approver = models.BooleanField(
        default=False, help_text="A staff unmasking or file export of this category needs a "
        "second person's approval (V-5.1a); children inherit it unless they say otherwise."
    )
    policy_ref = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)

    class Meta(CatalogEntry.Meta):
        verbose_name_plural = "data categories"

    @property
    def level(self) -> str:
        return GRADE_LEVELS[self.grade]

    @property
    def sensitive(self) -> bool:
        return self.grade == Grade.SENSITIVE


class Purpose(CatalogEntry):
    name_en = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    legal_basis = models.ForeignKey(
        LegalBasis, on_delete=models.PROTECT, related_name="default_for",
        help_text="The default legal basis.",
    )
    consent = models.CharField(max_length=16, choices=ConsentRequirement.choices)
    separate = models.JSONField(
        default=list, blank=True,
        help_text="Why consent must be separate: sensitive, third_party, public_disclosure, "
                  "cross_border.",
    )
    policy_ref = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)


class System(CatalogEntry):
    """A data store or service that holds PI (database, log store, gateway, the browser…)."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32)
    region = models.CharField(
        max_length=2, blank=True, help_text="ISO country code; blank = on the person's device."
    )
    description = models.TextField(blank=True)


class Recipient(CatalogEntry):
    """An affiliate, partner, processor or authority that may receive PI (policy §1.5, §4.1)."""

    name_en = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=32, choices=RecipientRole.choices, db_index=True)
    status = models.CharField(max_length=16, choices=RecipientStatus.choices)
    country = models.CharField(max_length=2, blank=True)
    contact = models.CharField(max_length=200, blank=True)
    uscc = models.CharField(
        max_length=18, blank=True, help_text="Unified Social Credit Code (PRC entities).")
    hosts = models.JSONField(
        default=list, blank=True,
        help_text="Hosts PI may be delivered to (HTTPS endpoints, e-mail domains); '*.' "
                  "allows subdomains. Egress control refuses any other host.")
    script_hosts = models.JSONField(
        default=list, blank=True, help_text="Origins of the recipient's browser scripts (CSP).")
    categories = models.JSONField(
        default=list, blank=True, help_text="The categories it may receive (allowlist).")
    purposes = models.JSONField(
        default=list, blank=True, help_text="The purposes it may receive them for.")
    policy_ref = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)

    @property
    def name(self) -> str:
        return self.legal_name or self.name_en


class ProcessingActivity(CatalogEntry):
    """One record of processing (ROPA entry): why, on what basis, which data, where, how long."""

    name_en = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="activities")
    legal_bases = models.ManyToManyField(LegalBasis, related_name="activities")
    categories = models.ManyToManyField(DataCategory, related_name="activities")
    data_subjects = models.JSONField(default=list)
    systems = models.ManyToManyField(System, related_name="activities", blank=True)
    recipients = models.ManyToManyField(Recipient, related_name="activities", blank=True)
    retention = models.CharField(
        max_length=32, help_text="ISO-8601 duration (P180D) or a named rule (account_lifetime)."
    )
    storage_region = models.CharField(max_length=2)
    policy_ref = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)

    class Meta(CatalogEntry.Meta):
        verbose_name_plural = "processing activities"


class StorageCategory(models.TextChoices):
    """The banner's categories; only strictly necessary items are set without consent."""

    NECESSARY = "necessary", "Strictly necessary"
    PREFERENCES = "preferences", "Preferences"
    ANALYTICS = "analytics", "Analytics"
    ADVERTISING = "advertising", "Advertising"


class StorageItem(CatalogEntry):
    """A cookie or browser storage object the website may set (policy §III).

    ``key`` is ``<kind>:<name>``. The banner and the "manage cookies" page are built from these
    rows, and the banner asks again when this inventory changes.
    """

    name = models.CharField(max_length=48)
    kind = models.CharField(max_length=16)
    party = models.CharField(max_length=16)
    provider = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=16, choices=StorageCategory.choices)
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="storage_items")
    lifetime = models.CharField(max_length=32)
    description_en = models.TextField()
    description_zh = models.TextField()
    policy_ref = models.CharField(max_length=100, blank=True)


class CatalogRelease(models.Model):
    """One load of the catalog file: which file, its SHA-256, when, by whom, and the counts."""

    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=500)
    schema_version = models.PositiveIntegerField()
    handler = models.JSONField(help_text="The PI handler the catalog is for.")
    policy = models.JSONField(
        default=dict, blank=True, help_text="The privacy policy version the catalog implements.",
    )
    functions = models.JSONField(
        default=list, blank=True,
        help_text="The website's functions and the purposes each needs (§2.4: a refusal only "
                  "disables the related functions).",
    )
    collection = models.JSONField(
        default=dict, blank=True,
        help_text="What the collection API accepts per event kind: activity, fields, IP "
                  "handling, query parameters, location precision.",
    )
    counts = models.JSONField(default=dict)
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.CharField(max_length=160)

    class Meta:
        ordering = ["-loaded_at", "-id"]
        get_latest_by = ["loaded_at", "id"]

    def __str__(self):
        return f"{self.sha256[:12]} ({self.loaded_at:%Y-%m-%d %H:%M})"
