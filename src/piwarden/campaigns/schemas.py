import uuid

from ninja import Schema
from pydantic import Field


class CampaignRecordOut(Schema):
    kind: str
    id: uuid.UUID
    date: str
    campaign: str | None
    masked: dict[str, str | None]


class RecordsOut(Schema):
    claimable: list[CampaignRecordOut]
    mine: list[CampaignRecordOut]


class ClaimIn(Schema):
    leads: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    entries: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class ClaimOut(Schema):
    claimed: int
