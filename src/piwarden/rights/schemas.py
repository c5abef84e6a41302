import datetime
import uuid

from ninja import Field, Schema


class RequestIn(Schema):
    type: str
    notice_version: str | None = None
    categories: list[str] = Field(default_factory=list)
    purpose: str | None = None
    field: str | None = None
    text: str = Field("", max_length=4000)
    lang: str = "en"


class StaffRequestIn(RequestIn):
    subject: uuid.UUID
    verified: bool = False


class ReasonIn(Schema):
    text: str = Field(..., max_length=4000)


class RightsEventOut(Schema):
    at: datetime.datetime
    status_from: str
    status_to: str
    note: str


class RequestOut(Schema):
    id: uuid.UUID
    type: str
    channel: str
    status: str
    received_at: datetime.datetime
    due_date: datetime.date
    due_provisional: bool
    params: dict
    staff_note: str
    refusal_reason: str
    answer: str
    export_url: str | None = None
    certificate_url: str | None = None
    cooling_off_until: datetime.datetime | None = None
    events: list[RightsEventOut] = []


class StaffRequestOut(RequestOut):
    subject: uuid.UUID
    overdue: bool
