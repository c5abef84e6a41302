"""Request and response shapes of the policy API."""

from datetime import datetime

from ninja import Field, Schema


class VersionOut(Schema):
    version: str
    status: str
    effective_at: datetime | None
    published_at: datetime | None
    previous: str | None = Field(None, description="The version this one was compared with")
    major: list[int] = Field(description="Major-change categories (1)-(6) of policy §VIII")
    reductions: list[str] = Field(description="Changes that reduce people's rights")
    reconsent_campaign: str = ""
    notice_campaign: str = ""


class VersionDetailOut(VersionOut):
    snapshot: dict = Field(description="The structured policy: handler, purposes, recipients, "
                                       "rights and deadline, withdrawal, complaints…")


class DiffOut(Schema):
    version: str
    previous: str | None
    changes: list[dict] = Field(description="kind, path, old, new, words {en, zh-hans}, "
                                            "reduction, major, reconsent, banner")
    reductions: list[str]
    major: list[int]
    reconsent: bool


class PublishIn(Schema):
    effective_at: datetime | None = Field(None, description="Default: now")
