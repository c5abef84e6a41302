"""Request and response shapes of the partners API."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class ImportIn(Schema):
    notice_version: str | None = Field(
        None, description="The privacy notice version the partner showed the people (P-2).")
    reference: str = Field("", max_length=100, description="The partner's batch reference.")
    records: list[dict[str, Any]] = Field(
        ..., description="Each: external_id, name, phone, email (only what partner.ingest "
                         "declares), optional notice_version, and authorization {reference, "
                         "categories, purposes, authorized_on, expires_on}. Each record is "
                         "validated on its own and gets its own result.")


class RecordResultOut(Schema):
    index: int
    status: str
    code: str = ""
    fields: list[str] = []
    record_id: int | None = None


class ImportOut(Schema):
    batch: int
    received: int
    stored: int
    duplicates: int
    rejected: int
    results: list[RecordResultOut]


class PartnerRecordOut(Schema):
    external_id: str
    batch: int
    received_at: datetime
    categories: list[str]
    authorization_reference: str
    authorization_categories: list[str]
    authorization_purposes: list[str]
    authorized_on: date
    authorization_expires_on: date | None
    masked: dict[str, str | None]
