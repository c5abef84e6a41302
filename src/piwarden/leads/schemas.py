from ninja import Schema
from pydantic import Field


class LeadIn(Schema):
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    name: str = Field("", max_length=100)
    message: str = Field("", max_length=2000)
    contact_ok: bool = Field(False, description="The person ticked 'you may contact me'.")
    notice_version: str | None = Field(None, max_length=32,
                                       description="The notice version the person was shown.")
    website: str = Field("", max_length=200, description="Honeypot: must stay empty.")


class LeadOut(Schema):
    received: bool


class NoticeOut(Schema):
    notice_version: str
    text: str
