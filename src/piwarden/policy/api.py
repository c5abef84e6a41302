"""The policy API at /api/v1/policy/: the published versions for anyone; drafts, their diff,
the re-consent campaign and publication for staff (publication answers 409
REQUIRES_EXPLICIT_CONSENT while a reduction has no re-consent campaign)."""

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from piwarden.api_errors import ApiError
from piwarden.audit.actors import Actor
from piwarden.clients.auth import StaffSessionAuth, require_permission
from piwarden.policy import selectors, services
from piwarden.policy.models import PolicyVersion
from piwarden.policy.models import Status as VersionStatus
from piwarden.policy.schemas import DiffOut, PublishIn, VersionDetailOut, VersionOut

router = Router(tags=["policy"])
STAFF = [StaffSessionAuth()]


def _staff(request, permission: str) -> Actor:
    return require_permission(request, f"policy.{permission}")


def _out(version: PolicyVersion, snapshot: bool = False) -> dict:
    out = {"version": version.version, "status": version.status,
           "effective_at": version.effective_at, "published_at": version.published_at,
           "previous": version.previous.version if version.previous else None,
           "major": version.classification.get("major", []),
           "reductions": version.classification.get("reductions", []),
           "reconsent_campaign": version.reconsent_campaign,
           "notice_campaign": version.notice_campaign}
    return {**out, "snapshot": version.snapshot} if snapshot else out


def _diff(version: PolicyVersion) -> dict:
    c = version.classification
    return {"version": version.version,
            "previous": version.previous.version if version.previous else None,
            "changes": c.get("changes", []), "reductions": c.get("reductions", []),
            "major": c.get("major", []), "reconsent": bool(c.get("reconsent"))}


@router.get("/current", response=VersionDetailOut, auth=None)
def current(request):
    """The version in force (public)."""
    version = selectors.current()
    if version is None:
        raise ApiError(404, "NO_POLICY", "No version of the privacy policy is published yet.")
    return _out(version, snapshot=True)


@router.get("/versions", response=list[VersionOut], auth=None)
def versions(request):
    """Every published version, the latest first (public)."""
    return [_out(v) for v in selectors.published()]


@router.get("/versions/{version}", response=VersionDetailOut, auth=None)
def version(request, version: str):
    """One published version as it was published (public)."""
    found = get_object_or_404(PolicyVersion, version=version, status=VersionStatus.PUBLISHED)
    return _out(found, snapshot=True)


@router.get("/versions/{version}/diff", response=DiffOut, auth=None)
def diff(request, version: str):
    """What a published version changed (public)."""
    found = get_object_or_404(PolicyVersion, version=version, status=VersionStatus.PUBLISHED)
    return _diff(found)


@router.post("/drafts", response={201: DiffOut}, auth=STAFF)
def create_draft(request):
    """Draft the version the loaded catalog names (or rebuild that draft): the diff preview
    against the published version, with its reductions and major categories."""
    draft = services.create_draft(actor=_staff(request, "add_policyversion"))
    return Status(201, _diff(draft))


@router.get("/drafts/{version}", response=DiffOut, auth=STAFF)
def draft_diff(request, version: str):
    _staff(request, "view_policyversion")
    return _diff(get_object_or_404(PolicyVersion, version=version))


@router.post("/drafts/{version}/reconsent", response=VersionOut, auth=STAFF)
def configure_reconsent(request, version: str):
    """Create the re-consent campaign a reduction needs before publication."""
    actor = _staff(request, "change_policyversion")
    return _out(services.configure_reconsent(actor=actor, version=version))


@router.post("/drafts/{version}/publish", response=VersionOut, auth=STAFF)
def publish(request, version: str, payload: PublishIn | None = None):
    actor = _staff(request, "change_policyversion")
    return _out(services.publish(actor=actor, version=version,
                                 effective_at=payload.effective_at if payload else None))
