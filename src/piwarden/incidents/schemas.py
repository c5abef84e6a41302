"""Request and response shapes of the incidents API (staff only)."""

import datetime
import uuid

from ninja import Field, Schema


class Elements(Schema):
    """An Art. 57 notice's content: Chinese (controlling) and English."""

    summary: str | None = None
    cause: str | None = None
    cause_en: str | None = None
    possible_harm: str | None = None
    possible_harm_en: str | None = None
    measures_taken: str | None = None
    measures_taken_en: str | None = None
    advice: str | None = Field(None, description="What the people can do to reduce the harm")
    advice_en: str | None = None
    remedies: str | None = None
    remedies_en: str | None = None
    contact: str | None = None
    contact_en: str | None = None


class IncidentIn(Elements):
    title: str = Field(min_length=1, max_length=200)
    severity: str = Field(description="extraordinary (特别重大), major (重大), serious (较大), "
                                      "general (一般)")
    principal_kind: str = Field(description="staff, api_client, system, person or store")
    principal_id: str = Field(min_length=1, max_length=200,
                              description="API client id, staff user id, job name or store key")
    detected_at: datetime.datetime | None = None
    occurred_from: datetime.datetime | None = None
    occurred_to: datetime.datetime | None = None


class IncidentPatch(Elements):
    title: str | None = None
    severity: str | None = None
    occurred_from: datetime.datetime | None = None
    occurred_to: datetime.datetime | None = None


class IncidentOut(Schema):
    id: int
    title: str
    severity: str
    status: str
    detected_at: datetime.datetime
    occurred_from: datetime.datetime | None
    occurred_to: datetime.datetime | None
    principal_kind: str
    principal_id: str
    rule_set: str
    report_due_at: datetime.datetime
    escalated_at: datetime.datetime | None
    decision: str
    notice_campaign: str
    people_count: int
    category_counts: dict[str, int]
    scoped_at: datetime.datetime | None
    progress_due_at: datetime.datetime | None
    closed_at: datetime.datetime | None


class AffectedOut(Schema):
    subject: uuid.UUID = Field(alias="subject_id")
    categories: list[str]
    read: bool
    changed: bool


class DecisionIn(Schema):
    notify: bool
    justification: str = ""


class CampaignOut(Schema):
    campaign: str


class ProgressIn(Schema):
    text_en: str
    text_zh: str


class ProgressOut(Schema):
    id: int
    campaign: str
    created_at: datetime.datetime


class SubmissionIn(Schema):
    authority: str = Field(min_length=1, max_length=200)
    submitted_at: datetime.datetime
    reference: str = ""
    receipt_base64: str | None = Field(None, description="The receipt (PDF, image, e-mail, "
                                                         "text), base64")


class SubmissionOut(Schema):
    id: int
    authority: str
    submitted_at: datetime.datetime
    reference: str
    receipt_sha256: str


class DrillIn(Schema):
    held_on: datetime.date
    scenario: str = Field(min_length=1, max_length=300)
    participants: int = Field(ge=1)
    findings: str = ""


class DrillOut(DrillIn):
    id: int
