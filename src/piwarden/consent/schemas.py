import uuid
from datetime import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import BaseModel


# Plain pydantic models (not ninja Schemas, which add ORM-reading hooks): a batch of 1,000
# questions is parsed on the hot path.
class DecisionQuery(BaseModel):
    subject: str = Field(max_length=64)
    purpose: str = Field(max_length=64)
    categories: list[str] = Field(default_factory=list, max_length=64)


class DecisionBatch(BaseModel):
    items: list[DecisionQuery] = Field(min_length=1, max_length=1000)


class DecisionOut(Schema):
    allowed: bool
    reason: str
    legal_basis: str | None
    missing_scopes: list[str]


class DecisionBatchOut(Schema):
    results: list[DecisionOut]


ScopeName = Literal["general", "separate.sensitive", "separate.third_party",
                    "separate.public_disclosure", "separate.cross_border"]


class ChoiceIn(Schema):
    """A choice the person made; the notice text is what they were shown."""

    purpose: str = Field(max_length=64)
    scope: ScopeName = "general"
    choice: Literal["grant", "refuse", "withdraw"]
    notice_text: str = Field(min_length=1, max_length=20000)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str = Field(default="", max_length=1000)


class ChoiceBatchItem(ChoiceIn):
    subject: uuid.UUID


class ChoiceBatch(Schema):
    items: list[ChoiceBatchItem] = Field(min_length=1, max_length=100)


class ChoiceBatchResult(Schema):
    index: int
    status: Literal["recorded", "refused"]
    event: int | None = None
    erasure_due: datetime | None = None
    code: str | None = None
    message: str | None = None


class ChoiceBatchOut(Schema):
    recorded: int
    refused: int
    results: list[ChoiceBatchResult]


class MyChoiceIn(Schema):
    """A choice made in the privacy center; the server supplies the notice it showed."""

    purpose: str = Field(max_length=64)
    scope: ScopeName = "general"
    choice: Literal["grant", "withdraw", "refuse"]
    lang: Literal["en", "zh-hans"] = "en"
    # A separate consent is granted only with the digest of its own notice, as
    # GET /me/purposes gave it (``notice_digest``): proof that the notice was shown.
    notice_digest: str = Field("", max_length=64)


class EventOut(Schema):
    id: int
    purpose: str
    scope: str
    choice: str
    bundled: bool
    channel: str
    policy_version: str
    occurred_at: datetime
    notice_sha256: str

    @staticmethod
    def resolve_notice_sha256(obj):
        return obj.notice.sha256


class ChoiceResult(EventOut):
    erasure_due: datetime | None = None


class PurposeStateOut(Schema):
    purpose: str
    name: str
    scope: str
    consent_needed: str
    state: Literal["granted", "refused", "withdrawn", "not_asked"]
    since: datetime | None
    policy_version: str | None
    erasure_due: datetime | None
    disables: list[str]
    notice: str
    notice_digest: str


class FunctionOut(Schema):
    key: str
    name: str
    purposes: list[str]
    available: bool
    blocked_by: list[str]


class BannerChoiceIn(Schema):
    visitor_id: uuid.UUID
    policy_version: str = Field(max_length=32)
    inventory: str = Field(max_length=32)
    action: Literal["accept_all", "reject_all", "custom", "withdraw_all"]
    choices: dict[Literal["preferences", "analytics", "advertising"], bool] = Field(
        default_factory=dict)
    gpc: bool = False
    lang: Literal["en", "zh-hans"] = "en"


class BannerChoiceOut(Schema):
    recorded: int
    granted: list[str]
