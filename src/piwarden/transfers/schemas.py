"""Request and response shapes of the cross-border transfers API (staff only)."""

import datetime
import uuid

from ninja import Field, Schema

MECHANISMS = ("below_threshold, exempt_contract, exempt_hr, exempt_emergency, "
              "standard_contract, gba_contract, certification, security_assessment")


class RecordPatch(Schema):
    categories: list[str] | None = Field(None, description="Within the flow's allowlist")
    important_data: str | None = Field(None, description="none or involved ('none' explicitly)")
    mechanism: str | None = Field(None, description=MECHANISMS)
    exemption_reason: str | None = Field(None, max_length=4000)
    reference: str | None = Field(None, max_length=120,
                                  description="Filing, certificate or approval reference")
    effective_on: datetime.date | None = None
    valid_until: datetime.date | None = None
    recipient_obligations: str | None = Field(None, max_length=8000)
    notice_zh: str | None = Field(None, max_length=4000, description="How the person exercises "
                                  "rights against the recipient (Art. 39), Chinese")
    notice_en: str | None = Field(None, max_length=4000, description="The same, English")


class TransferRecordIn(RecordPatch):
    flow: int = Field(description="The overseas flow (sharing flow id)")
    mechanism: str = Field(description=MECHANISMS)


class Problem(Schema):
    code: str
    message: str


class TransferRecordOut(Schema):
    id: int
    flow: int = Field(alias="flow_id")
    activity: str
    recipient: str
    country: str
    categories: list[str]
    important_data: str
    mechanism: str
    exemption_reason: str
    reference: str
    effective_on: datetime.date | None
    filed_on: datetime.date | None
    changed_on: datetime.date | None
    valid_until: datetime.date | None
    expires_on: datetime.date | None
    filing_due: datetime.date | None
    recipient_obligations: str
    notice_zh: str
    notice_en: str
    status: str
    problems: list[Problem] = Field(description="Why it lets nothing through today (empty: "
                                                "it does)")
    updated_at: datetime.datetime
    updated_by: str


class FilingIn(Schema):
    reference: str = Field(min_length=1, max_length=120)
    filed_on: datetime.date


class StatusIn(Schema):
    status: str = Field(description="active or suspended")
    reason: str = Field(max_length=2000)


class ThresholdOut(Schema):
    kind: str = Field(description="non_sensitive or sensitive")
    from_person: int = Field(description="The first person (inclusive) who needs it")
    requires: str = Field(description="contract_or_certification or security_assessment")
    source: str


class CounterOut(Schema):
    kind: str
    people: int = Field(description="Distinct people this calendar year, China time")
    limits: dict[str, int | None] = Field(description="People a year each mechanism tier "
                                                      "allows (null: no limit)")


class CountersOut(Schema):
    year: int
    counters: list[CounterOut]
    thresholds: list[ThresholdOut]
    source: str
    ciio: bool = Field(description="Critical information infrastructure operator: always "
                                   "a security assessment")


class HoldOut(Schema):
    id: uuid.UUID
    record: int = Field(alias="record_id")
    year: int
    people: int
    categories: list[str]
    reason: str
    created_at: datetime.datetime
    released_at: datetime.datetime | None
    released_by: str


class ReleaseOut(Schema):
    hold: uuid.UUID
    provision: uuid.UUID
    status: str
    provided: int
    dropped: dict[str, int] = Field(description="People left out, per reason (those still "
                                                "over the limit wait in a new hold)")
    download_url: str = Field("", description="Shown once; the link to the sealed package")
