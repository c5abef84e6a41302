"""Request and response shapes of the sharing API."""

import uuid
from datetime import datetime

from ninja import Field, Schema


class FlowOut(Schema):
    id: int
    activity: str
    recipient: str
    status: str
    legal_basis: str
    categories: list[str] = Field(description="The allowlist: nothing else ever leaves")
    method: str
    cross_border: bool


class ProvideIn(Schema):
    subjects: list[uuid.UUID] = Field(min_length=1, max_length=100_000)
    categories: list[str] | None = Field(
        None, description="Default: the flow's allowlist; anything outside it is stripped")
    transforms: dict[str, str] | None = Field(
        None, description="Category → 'sha256'. A hashed identifier is still personal "
                          "information: it needs the same basis as the value itself")


class ProvisionOut(Schema):
    id: uuid.UUID
    flow: int
    status: str
    considered: int
    provided: int
    dropped: dict[str, int] = Field(description="People left out, per reason")
    categories: list[str]
    stripped: list[str] = Field(description="Asked for but outside the allowlist")
    expires_at: datetime | None
    download_url: str = Field("", description="Shown once; the link to the sealed package")
    created_at: datetime
