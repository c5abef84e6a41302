"""Response shapes of the catalog API (they also document it in OpenAPI)."""

from ninja import Field, Schema


class LegalBasisOut(Schema):
    key: str
    name_en: str
    name_zh: str
    article: str
    pipl_13: int | None = Field(description="The PIPL Art. 13 item (1-7) this basis rests on.")
    only_with: list[str] = Field(description="An activity naming this basis must name one too.")
    description: str
    policy_ref: str
    note: str
    retired: bool


class CategoryOut(Schema):
    key: str
    parent: str | None
    name_en: str
    name_zh: str
    description: str
    grade: str = Field(description="public, internal, personal or sensitive")
    level: str = Field(description="L1 (public) to L4 (sensitive)")
    sensitive: bool
    anonymized: bool
    collectable: bool
    second_approver: bool = Field(description="A staff unmasking or file export of this "
                                  "category needs a second person's approval")
    policy_ref: str
    note: str
    retired: bool

    @staticmethod
    def resolve_parent(obj):
        return obj.parent.key if obj.parent_id else None


class PurposeOut(Schema):
    key: str
    name_en: str
    name_zh: str
    description: str
    legal_basis: str = Field(alias="legal_basis.key")
    consent: str = Field(description="none, consent or separate")
    policy_ref: str
    note: str
    retired: bool


class SystemOut(Schema):
    key: str
    name: str
    kind: str
    region: str = Field(description="ISO country code; empty = on the person's own device")
    description: str
    retired: bool


class RecipientOut(Schema):
    key: str
    name_en: str
    name_zh: str
    legal_name: str = Field(description="Empty while the recipient is a draft (not yet named)")
    role: str
    status: str
    country: str
    contact: str
    uscc: str = Field(description="Unified Social Credit Code of a PRC entity")
    hosts: list[str] = Field(description="Hosts PI may be delivered to (egress allowlist)")
    script_hosts: list[str] = Field(description="Origins of its browser scripts (CSP)")
    categories: list[str] = Field(description="Categories it may receive")
    purposes: list[str] = Field(description="Purposes it may receive them for")
    policy_ref: str
    note: str
    retired: bool


class ActivityOut(Schema):
    key: str
    name_en: str
    name_zh: str
    description: str
    purpose: str = Field(alias="purpose.key")
    legal_bases: list[str]
    categories: list[str]
    data_subjects: list[str]
    systems: list[str]
    recipients: list[str]
    retention: str
    storage_region: str
    policy_ref: str
    note: str
    retired: bool

    @staticmethod
    def resolve_legal_bases(obj):
        return [row.key for row in obj.legal_bases.all()]

    @staticmethod
    def resolve_categories(obj):
        return [row.key for row in obj.categories.all()]

    @staticmethod
    def resolve_systems(obj):
        return [row.key for row in obj.systems.all()]

    @staticmethod
    def resolve_recipients(obj):
        return [row.key for row in obj.recipients.all()]
