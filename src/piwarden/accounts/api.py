"""The account API (/api/v1/account/): the same operations as the pages, through the services.

Sign-up, login and the guardian's confirmation are public; everything else needs the
person's session (with CSRF on unsafe methods) or one of their personal access tokens, and
only ever reaches that person's own account.
"""

import functools

from django.contrib import auth as django_auth
from django.http import FileResponse
from django.views.decorators.debug import sensitive_variables
from ninja import File, Router, Status
from ninja.files import UploadedFile

from piwarden.accounts import conf, selectors, services, sessions, stepup
from piwarden.accounts.auth import ACCOUNT_AUTH
from piwarden.accounts.errors import AccountError
from piwarden.accounts.models import AccessToken, Channel
from piwarden.accounts.schemas import (
    AddressIn,
    ChangeContactIn,
    ChangeOut,
    FieldIn,
    GuardianConfirmIn,
    IdInfoIn,
    IdInfoOut,
    LoginIn,
    NewTokenOut,
    OkOut,
    OtpIn,
    PasswordIn,
    ProfileOut,
    ReauthIn,
    RecoveryCodesOut,
    RevealIn,
    RevealOut,
    SendCodeIn,
    ServiceOut,
    SignUpIn,
    TokenIn,
    TokenOut,
    TotpSetupOut,
    VerifyCodeIn,
)
from piwarden.api_errors import ApiError
from piwarden.vault import services as vault
from piwarden.web.ratelimit import client_ip

router = Router(tags=["account"], auth=ACCOUNT_AUTH)
API = Channel.API


def _errors(view):
    """Render refusals of the services as the API's JSON errors (never a 500)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except vault.InvalidValue:
            raise ApiError(422, "VALUE_INVALID", "This value is not valid.") from None
        except vault.RevealRefused:
            raise ApiError(403, "REVEAL_REFUSED", "This value cannot be shown for this "
                                                  "purpose.") from None

    return wrapper


def _json_only(request) -> None:
    """Login CSRF guard for the public endpoints that start a session: a cross-site page can
    post a form but cannot send ``application/json`` without the browser asking this site
    first (a CORS preflight), which it never allows."""
    if request.content_type != "application/json":
        raise ApiError(415, "JSON_REQUIRED", "Send the body as application/json.")


@router.post("/signup", auth=None, response={201: ProfileOut})
@sensitive_variables("payload")
@_errors
def sign_up(request, payload: SignUpIn):
    """Public. Creates the account, sends a code to the phone and the e-mail, logs in."""
    _json_only(request)
    account = services.sign_up(phone=payload.phone, email=payload.email,
                               password=payload.password, ip=client_ip(request), channel=API)
    sessions.start(request, account)
    return Status(201, services.masked_profile(account))


@router.post("/login", auth=None, response=ProfileOut)
@sensitive_variables("payload")
@_errors
def log_in(request, payload: LoginIn):
    """Public. Phone or e-mail plus password (and the 2FA code when enabled)."""
    _json_only(request)
    account = services.log_in(identifier=payload.identifier, password=payload.password,
                              otp=payload.otp, ip=client_ip(request))
    sessions.start(request, account)
    return services.masked_profile(account)


@router.post("/logout", response=OkOut)
def log_out(request):
    token = getattr(request, "account_token", None)
    if token is not None:
        services.revoke_token(account=request.auth, token_id=token.pk)
    else:
        django_auth.logout(request)
    return {"ok": True}


@router.post("/logout-all", response=OkOut)
def log_out_everywhere(request):
    """Ends every session and revokes every access token of the account."""
    services.end_all_sessions(account=request.auth)
    if getattr(request, "account_token", None) is None:
        django_auth.logout(request)
    return {"ok": True}


@router.get("/me", response=ProfileOut)
def me(request):
    """The profile, every value masked."""
    return services.masked_profile(request.auth)


@router.post("/codes/send", response={202: OkOut})
@_errors
def send_code(request, payload: SendCodeIn):
    """A code to the current phone/e-mail (binding) or, with ``new_value``, to a new one."""
    if payload.new_value:
        stepup.require_fresh(request)
    services.send_code(account=request.auth, channel=payload.channel, ip=client_ip(request),
                       new_value=payload.new_value)
    return Status(202, {"ok": True})


@router.post("/codes/verify", response=ProfileOut)
@sensitive_variables("payload")
@_errors
def verify_code(request, payload: VerifyCodeIn):
    """Binds the current phone or e-mail."""
    services.verify_contact(account=request.auth, channel=payload.channel, code=payload.code)
    return services.masked_profile(request.auth)


@router.post("/reauth", response=OkOut)
@sensitive_variables("payload")
@_errors
def reauthenticate(request, payload: ReauthIn):
    """A fresh identity check, valid five minutes for this session or token."""
    services.reauthenticate(account=request.auth, password=payload.password, otp=payload.otp)
    stepup.mark_fresh(request)
    return {"ok": True}


@router.post("/reveal", response=RevealOut)
@_errors
def reveal(request, payload: RevealIn):
    """One full value; needs a fresh identity check."""
    stepup.require_fresh(request)
    return {"field": payload.field, "value": services.reveal(account=request.auth,
                                                             field=payload.field)}


@router.put("/profile/{field}", response=ProfileOut)
@_errors
def set_field(request, field: str, payload: FieldIn):
    """``user_name``, ``name`` or ``contact_other``."""
    if field == "address":
        raise AccountError("FIELD_UNKNOWN", "Use PUT /address.", status=404)
    services.set_field(account=request.auth, field=field, value=payload.value, channel=API)
    return services.masked_profile(request.auth)


@router.put("/address", response=ProfileOut)
@_errors
def set_address(request, payload: AddressIn):
    services.set_field(account=request.auth, field="address", value=payload.dict(),
                       channel=API)
    return services.masked_profile(request.auth)


@router.post("/contact/{channel}", response=ProfileOut)
@sensitive_variables("payload")
@_errors
def change_contact(request, channel: str, payload: ChangeContactIn):
    """New phone or e-mail with the code sent to it (POST /codes/send with new_value)."""
    stepup.require_fresh(request)
    services.change_contact(account=request.auth, channel=channel,
                            new_value=payload.new_value, code=payload.code, via=API)
    return services.masked_profile(request.auth)


@router.post("/password", response=OkOut)
@sensitive_variables("payload")
@_errors
def change_password(request, payload: PasswordIn):
    """Needs the current password; other sessions and all access tokens end."""
    account = request.auth
    token = getattr(request, "account_token", None)
    keep = "" if token is not None else request.session.session_key
    services.change_password(account=account, current=payload.current_password,
                             new=payload.new_password, keep_session=keep, channel=API)
    if token is None:
        django_auth.update_session_auth_hash(request, account.user)
        services.replace_session(account=account, old_key=keep,
                                 new_key=request.session.session_key)
        stepup.mark_fresh(request)
    return {"ok": True}


@router.post("/avatar", response=ProfileOut)
@_errors
def upload_avatar(request, file: UploadedFile = File(...)):  # noqa: B008
    """Multipart ``file``: JPEG, PNG, WebP or GIF; stored re-encoded without metadata."""
    if file.size > conf.avatar_max_bytes():
        raise AccountError("AVATAR_TOO_LARGE", "The image is larger than allowed.", status=413)
    services.set_avatar(account=request.auth, data=file.read(), channel=API)
    return services.masked_profile(request.auth)


@router.get("/avatar")
@_errors
def get_avatar(request):
    path = services.avatar_path(request.auth)
    if path is None or not path.exists():
        raise AccountError("NOT_FOUND", "No avatar.", status=404)
    return FileResponse(path.open("rb"), content_type="image/png")


@router.delete("/avatar", response=ProfileOut)
@_errors
def delete_avatar(request):
    services.delete_avatar(account=request.auth, channel=API)
    return services.masked_profile(request.auth)


@router.put("/id", response={200: IdInfoOut, 202: IdInfoOut})
@sensitive_variables("payload")
@_errors
def set_id_info(request, payload: IdInfoIn):
    """For a service that needs it, with ``consent: true`` (the separate consent).

    202 when the ID shows an age under 14: nothing is stored until the guardian confirms.
    """
    stepup.require_fresh(request)
    pending = services.set_id_info(
        account=request.auth, service=payload.service, id_type=payload.id_type,
        id_number=payload.id_number, consent_given=payload.consent,
        guardian_email=payload.guardian_email, channel=API, ip=client_ip(request) or None,
        user_agent=request.headers.get("User-Agent", "")[:300])
    if pending is not None:
        return Status(202, {"stored": False, "guardian_required": True})
    return Status(200, {"stored": True, "guardian_required": False})


@router.post("/guardian/confirm", auth=None, response=OkOut)
@sensitive_variables("payload")
@_errors
def confirm_guardian(request, payload: GuardianConfirmIn):
    """Public, the guardian's link token is the credential."""
    services.confirm_guardian(token=payload.token, id_number=payload.id_number,
                              consent_given=payload.consent, ip=client_ip(request) or None,
                              user_agent=request.headers.get("User-Agent", "")[:300])
    return {"ok": True}


@router.get("/history", response=list[ChangeOut])
def history(request):
    """Changes to the profile: field, time, channel; never the values."""
    return list(selectors.history(request.auth))


@router.get("/services", response=list[ServiceOut])
def service_list(request):
    """Which missing profile fields block which service."""
    return selectors.service_status(request.auth)


@router.post("/services/{service}/activate", response=ServiceOut)
@_errors
def activate_service(request, service: str):
    services.activate_service(account=request.auth, service=service)
    return next(s for s in selectors.service_status(request.auth) if s["key"] == service)


@router.post("/2fa/setup", response=TotpSetupOut)
@_errors
def totp_setup(request):
    stepup.require_fresh(request)
    secret = services.start_totp(account=request.auth)
    return {"secret": secret, "uri": services.totp_uri(secret, request.auth)}


@router.post("/2fa/enable", response=RecoveryCodesOut)
@_errors
def totp_enable(request, payload: OtpIn):
    stepup.require_fresh(request)
    return {"recovery_codes": services.enable_totp(account=request.auth, code=payload.code)}


@router.post("/2fa/disable", response=OkOut)
@_errors
def totp_disable(request):
    stepup.require_fresh(request)
    services.disable_totp(account=request.auth)
    return {"ok": True}


@router.post("/2fa/recovery-codes", response=RecoveryCodesOut)
@_errors
def recovery_codes(request):
    stepup.require_fresh(request)
    return {"recovery_codes": services.regenerate_recovery_codes(account=request.auth)}


@router.get("/tokens", response=list[TokenOut])
def token_list(request):
    return list(AccessToken.objects.filter(account=request.auth, revoked_at=None)
                .order_by("-created_at"))


@router.post("/tokens", response={201: NewTokenOut})
@_errors
def token_create(request, payload: TokenIn):
    """Shown once; needs a fresh identity check."""
    stepup.require_fresh(request)
    token, raw = services.create_token(account=request.auth, name=payload.name)
    return Status(201, {"id": token.pk, "name": token.name, "prefix": token.prefix,
                        "created_at": token.created_at, "last_used_at": None, "token": raw})


@router.delete("/tokens/{token_id}", response=OkOut)
@_errors
def token_revoke(request, token_id: int):
    services.revoke_token(account=request.auth, token_id=token_id)
    return {"ok": True}
