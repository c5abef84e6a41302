"""Public API for call-back requests: ``POST /api/v1/leads/`` (no credentials, rate-limited per
IP address) and ``GET /api/v1/leads/notice`` (the notice to show and its version)."""

from django.utils import translation
from ninja import Router, Status

from piwarden.api_errors import ApiError
from piwarden.consent import services as consent
from piwarden.leads import services, views
from piwarden.leads.models import LeadChannel
from piwarden.leads.schemas import LeadIn, LeadOut, NoticeOut
from piwarden.web.ratelimit import allow, client_ip

router = Router(tags=["leads"])


@router.get("/notice", response=NoticeOut, auth=None)
def notice(request, lang: str = ""):
    """Public: the just-in-time notice a site shows next to its own contact form."""
    return {"notice_version": consent.policy_version(),
            "text": services.notice_text(lang or translation.get_language())}


@router.post("/", response={201: LeadOut}, auth=None)
def submit(request, payload: LeadIn):
    """Public: a visitor's request to be contacted. Needs ``notice_version`` (422 when missing,
    409 ``NOTICE_OUTDATED`` when old) and ``contact_ok`` (422 ``CONSENT_REQUIRED``)."""
    ip = client_ip(request)
    if not allow("leads.api", ip, limit=views.settings_rate(), window=3600):
        raise ApiError(429, "RATE_LIMITED", "Too many requests from this address.")
    if payload.website:  # a bot filled the honeypot: answer as usual, store nothing
        return Status(201, {"received": True})
    services.submit(
        submission=services.Submission(phone=payload.phone, email=payload.email,
                                       name=payload.name, message=payload.message),
        contact_ok=payload.contact_ok, notice_version=payload.notice_version,
        channel=LeadChannel.API, ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", ""),
        lang=translation.get_language())
    return Status(201, {"received": True})
