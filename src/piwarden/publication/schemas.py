import datetime
import uuid

from ninja import Schema


class ItemIn(Schema):
    subject_id: uuid.UUID
    kind: str
    title_zh: str
    title_en: str
    body_zh: str = ""
    body_en: str = ""


class ItemPatch(Schema):
    kind: str | None = None
    title_zh: str | None = None
    title_en: str | None = None
    body_zh: str | None = None
    body_en: str | None = None


class ItemOut(Schema):
    id: uuid.UUID
    subject_id: uuid.UUID
    kind: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    has_image: bool
    status: str
    consent_holds: bool
    created_at: datetime.datetime
    consent_requested_at: datetime.datetime | None
    published_at: datetime.datetime | None
    taken_down_at: datetime.datetime | None
    takedown_reason: str
