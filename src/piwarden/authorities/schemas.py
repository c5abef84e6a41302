"""Request and response shapes of the authorities API (staff only)."""

import datetime

from ninja import Field, Schema


class AuthorityRequestIn(Schema):
    organ_name: str = Field(max_length=200)
    organ_country: str = Field(description="ISO 3166 code; CN for an organ of the PRC")
    organ_kind: str = Field(description="court, police, procuratorate, regulator, other")
    document_reference: str = Field(max_length=120)
    legal_basis: str = Field(description="A key from GET /bases (PIPL Art. 13(3) or 13(4))")
    activity: str = Field("", description="disclosure.to_authorities, sharing.legal_requests "
                                          "or sharing.vital_interests (default from the basis)")
    justification: str = Field("", description="Required for an emergency basis")
    prc_approval_reference: str = Field("", max_length=120,
                                        description="Required for a foreign organ (Art. 41)")
    confidential: bool = False
    confidentiality_reference: str = Field("", max_length=200)
    subject_ids: list[str] = Field(default_factory=list, description="The people asked for")
    categories: list[str] = Field(default_factory=list, description="The categories asked for")


class DocumentIn(Schema):
    content_base64: str = Field(description="PDF, JPEG or PNG, at most 10 MiB")


class ReviewIn(Schema):
    subject_ids: list[str]
    categories: list[str]
    notes: str


class RefuseIn(Schema):
    reason: str


class BasisOut(Schema):
    key: str
    name_en: str
    name_zh: str
    article: str
    emergency: bool


class ApprovalOut(Schema):
    approver: str
    approved_at: datetime.datetime


class AuthorityRequestOut(Schema):
    id: int
    organ_name: str
    organ_country: str
    organ_kind: str
    document_reference: str
    activity: str
    legal_basis: str
    justification: str
    prc_approval_reference: str
    confidential: bool
    confidentiality_reference: str
    requested_subjects: list[str]
    requested_categories: list[str]
    document_sha256: str
    document_uploaded_at: datetime.datetime | None
    subjects: list[str]
    categories: list[str]
    review_notes: str
    reviewed_by: str
    state: str
    refusal_reason: str
    approvals: list[ApprovalOut]
    entered_by: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    provision: str | None
    downloads: int
    notice_campaign: str

    @staticmethod
    def resolve_approvals(obj):
        return list(obj.approvals.all())

    @staticmethod
    def resolve_provision(obj):
        return str(obj.provision_id) if obj.provision_id else None

    @staticmethod
    def resolve_downloads(obj):
        return obj.provision.downloads if obj.provision_id else 0


class DeliveredOut(Schema):
    request: AuthorityRequestOut
    download_url: str = Field(description="Shown once: only its hash is stored")
