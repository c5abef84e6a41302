"""Request and response shapes of the notify API (staff only)."""

import uuid
from datetime import datetime

from ninja import Field, Schema


class CampaignIn(Schema):
    title: str = Field(max_length=200)
    kind: str = Field(description="incident, policy_change, discontinuation, "
                                  "corporate_transaction, other")
    template: str
    fields: dict[str, dict[str, str]] = Field(description="{language: {field: text}} for "
                                                          "zh-hans and en")
    audience: str
    audience_params: dict = Field(default_factory=dict)
    channels: list[str] = Field(description="In order: email, sms, site, phone, announcement")
    require_ack: bool = False


class NoticeCampaignOut(Schema):
    id: uuid.UUID
    title: str
    kind: str
    template: str
    audience: str
    channels: list[str]
    require_ack: bool
    status: str
    audience_size: int | None
    created_by: str
    approved_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SampleOut(Schema):
    subject: str = Field(description="The first characters of the subject id only")
    channel: str


class NoticePreviewOut(Schema):
    count: int
    sample: list[SampleOut]


class NoticeProgressOut(Schema):
    status: str
    audience: int
    handed_out: int
    by_status: dict[str, int]
    by_channel: dict[str, int]
    acknowledged: int
    percent: int
    announcement: bool
