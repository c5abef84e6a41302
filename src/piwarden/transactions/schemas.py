"""Request and response shapes of the transactions API (staff only)."""

import datetime
import uuid

from ninja import Field, Schema


class TransactionIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    kind: str = Field(description="merger, division, dissolution, bankruptcy, asset_sale, "
                                  "other")
    parties: str = Field(min_length=1, max_length=2000)
    categories: list[str] = Field(min_length=1, max_length=100)
    audience: str = Field("all_accounts", description="all_accounts or listed")
    subject_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1_000_000)


class TransactionOut(Schema):
    id: int
    title: str
    kind: str
    parties: str
    recipient: str
    categories: list[str]
    audience: str
    listed: int
    policy_version: str = Field(alias="policy_version_label")
    undertaking_reference: str
    undertaking_date: datetime.date | None
    processing_change: str
    processing_change_at: datetime.datetime | None
    status: str
    campaign: str = Field(alias="campaign_id")
    provision: str = Field(alias="provision_id")
    created_by: str
    created_at: datetime.datetime
    exported_at: datetime.datetime | None

    @staticmethod
    def resolve_listed(obj) -> int:
        return len(obj.subject_ids)


class NoticesIn(Schema):
    event_zh: str = Field(min_length=1, max_length=2000,
                          description="What happens, in Chinese (controlling)")
    event_en: str = Field(min_length=1, max_length=2000)
    channels: list[str] = Field(["email", "sms", "site", "announcement"], max_length=5)


class PreviewOut(Schema):
    count: int
    sample: list[dict]


class UndertakingIn(Schema):
    reference: str = Field(min_length=1, max_length=200)
    signed_on: datetime.date


class ChangeIn(Schema):
    change: str = Field(min_length=1, max_length=4000)


class SampleIn(Schema):
    size: int = Field(ge=1, le=100)


class ExportOut(Schema):
    provision: str
    status: str
    considered: int
    provided: int
    dropped: dict
    categories: list[str]
    download_url: str
    expires_at: datetime.datetime | None
