from datetime import date, datetime

from ninja import Schema


class HandlerOut(Schema):
    name_en: str
    name_zh: str
    contact: str


class SiteServiceOut(Schema):
    function: str
    name_en: str
    name_zh: str
    status: str
    end_date: date | None = None
    handler: HandlerOut


class SiteOut(Schema):
    domain: str
    name_en: str
    name_zh: str
    policy_version: str | None = None
    handler: HandlerOut
    services: list[SiteServiceOut]


class OfferingOut(Schema):
    id: int
    site: str
    function: str
    status: str
    handler: str
    notice_at: datetime | None = None
    notice_published_at: datetime | None = None
    end_date: date | None = None
    campaign: str
    report: dict


class SunsetIn(Schema):
    end_date: date
    notice_at: datetime | None = None
