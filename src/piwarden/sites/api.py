"""The sites API at /api/v1/sites/: the public list of services and who provides each, and
for staff the services with their state and the discontinuation action."""

from django.shortcuts import get_object_or_404
from ninja import Router

from piwarden.audit.actors import Actor
from piwarden.clients.auth import StaffSessionAuth, require_permission
from piwarden.sites import selectors, services
from piwarden.sites.models import Offering
from piwarden.sites.schemas import OfferingOut, SiteOut, SunsetIn

router = Router(tags=["sites"])
STAFF = [StaffSessionAuth()]


def _handler(handler: selectors.Handler) -> dict:
    return {"name_en": handler.name_en, "name_zh": handler.name_zh, "contact": handler.contact}


@router.get("/public", response=list[SiteOut], auth=None)
def public(request):
    """Every site, its policy version, and each running or ending service with its handler."""
    default = selectors.default_handler()
    return [{
        "domain": site.domain, "name_en": site.name_en, "name_zh": site.name_zh,
        "policy_version": site.policy_version.version if site.policy_version else None,
        "handler": _handler(default),
        "services": [{"function": o.function, "name_en": o.name_en, "name_zh": o.name_zh,
                      "status": o.status, "end_date": o.end_date,
                      "handler": _handler(selectors.handler_for_function(o.function))}
                     for o in site.offerings.all()],
    } for site in selectors.public_sites()]


def _staff(request, permission: str) -> Actor:
    """Staff with the sites permission (API clients have no scope here: sites are run from
    the console)."""
    return require_permission(request, f"sites.{permission}")


def _out(offering: Offering) -> dict:
    handler = offering.handler.recipient if offering.handler_id else (
        "catalog" if offering.default_handler else "")
    return {**{f: getattr(offering, f) for f in (
        "id", "function", "status", "notice_at", "notice_published_at", "end_date",
        "campaign", "report")}, "site": offering.site.domain, "handler": handler}


@router.get("/services", response=list[OfferingOut], auth=STAFF)
def offerings(request, status: str | None = None):
    _staff(request, "view_offering")
    rows = Offering.objects.select_related("site", "handler")
    return [_out(o) for o in (rows.filter(status=status) if status else rows)]


@router.post("/services/{offering_id}/sunset", response=OfferingOut, auth=STAFF)
def sunset(request, offering_id: int, payload: SunsetIn):
    """Announce the end of a service (422 ``END_DATE_TOO_EARLY`` under 15 days' notice)."""
    actor = _staff(request, "change_offering")
    offering = get_object_or_404(Offering, pk=offering_id)
    offering = services.sunset(actor=actor, offering=offering, end_date=payload.end_date,
                               notice_at=payload.notice_at)
    return _out(Offering.objects.select_related("site", "handler").get(pk=offering.pk))
