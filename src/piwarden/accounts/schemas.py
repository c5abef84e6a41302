"""Request and response shapes of the account API."""

import datetime

from ninja import Schema


class SignUpIn(Schema):
    phone: str
    email: str
    password: str


class LoginIn(Schema):
    identifier: str
    password: str
    otp: str = ""


class ReauthIn(Schema):
    password: str = ""
    otp: str = ""


class SendCodeIn(Schema):
    channel: str
    new_value: str = ""


class VerifyCodeIn(Schema):
    channel: str
    code: str


class ChangeContactIn(Schema):
    new_value: str
    code: str


class FieldIn(Schema):
    value: str


class AddressIn(Schema):
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    postcode: str = ""


class PasswordIn(Schema):
    current_password: str
    new_password: str


class RevealIn(Schema):
    field: str


class IdInfoIn(Schema):
    service: str
    id_type: str
    id_number: str
    consent: bool = False
    guardian_email: str = ""


class GuardianConfirmIn(Schema):
    token: str
    id_number: str
    consent: bool = False


class OtpIn(Schema):
    code: str


class TokenIn(Schema):
    name: str


class ProfileOut(Schema):
    user_name: str
    phone: str | None
    email: str | None
    phone_verified: bool
    email_verified: bool
    name: str | None
    address: str | None
    contact_other: str | None
    id_type: str
    id_number: str | None
    has_avatar: bool
    totp_enabled: bool


class RevealOut(Schema):
    field: str
    value: str | None


class ChangeOut(Schema):
    field: str
    channel: str
    changed_at: datetime.datetime


class ServiceOut(Schema):
    key: str
    name: str
    required: list[str]
    missing: list[str]
    active: bool


class TotpSetupOut(Schema):
    secret: str
    uri: str


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None


class NewTokenOut(TokenOut):
    token: str


class IdInfoOut(Schema):
    stored: bool
    guardian_required: bool


class OkOut(Schema):
    ok: bool = True
