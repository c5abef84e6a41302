"""Writers of policy versions and acceptances (docs/policy.md).

A draft is built from the loaded catalog and the terms file and classified against the
current published version. Publishing refuses a reduction of rights until a re-consent
campaign is configured (PIPL Art. 14 para 2, §VIII); a major change starts a notice campaign
asking for acknowledgement. Notices go through the notify engine (interfaces B).

"Lose only the dependent function": a person who does not re-consent stays on the version
they accepted (``selectors.accepted_version``). Nothing here grants consent: a purpose or
recipient a new version adds is never treated as consented for them, because the consent
ledger (``consent.decisions.decide``) needs a grant of its own for it; only the function that
depends on the new purpose or recipient stays off for them.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog.models import CatalogRelease
from piwarden.errors import ServiceError
from piwarden.policy import campaigns, diff, selectors
from piwarden.policy import snapshot as snapshots
from piwarden.policy.models import AcceptedHow, PolicyAcceptance, PolicyVersion, Status


class PolicyError(ServiceError):
    def __init__(self, status: int, code: str, message: str, detail=None):
        super().__init__(code, message, status=status, detail=detail)


def _get(version) -> PolicyVersion:
    if isinstance(version, PolicyVersion):
        version = version.version
    found = PolicyVersion.objects.select_for_update().filter(version=version).first()
    if found is None:
        raise PolicyError(404, "VERSION_UNKNOWN", f"No policy version {version}.")
    return found


@transaction.atomic
def create_draft(*, actor: Actor, terms: dict | None = None) -> PolicyVersion:
    """A draft of the version the latest catalog release names, or that draft rebuilt.

    ``terms``: the policy terms to use instead of the terms file (a staff preview of a change).
    """
    release = CatalogRelease.objects.order_by("-loaded_at", "-id").first()
    if release is None:
        raise PolicyError(409, "NO_CATALOG", "Load the catalog first.")
    version = (release.policy or {}).get("version", "")
    if not version:
        raise PolicyError(422, "NO_POLICY_VERSION", "The catalog names no policy version.")
    content = snapshots.build(release, terms or snapshots.read_terms())
    previous = selectors.latest_published()
    draft = PolicyVersion.objects.select_for_update().filter(version=version).first()
    if draft is not None and draft.status == Status.PUBLISHED:
        raise PolicyError(409, "VERSION_PUBLISHED",
                          f"Version {version} is published; change the catalog's policy version "
                          "for a new one.")
    if draft is None:
        draft = PolicyVersion(version=version, created_by=str(actor))
    draft.catalog_release, draft.snapshot, draft.previous = release, content, previous
    draft.classification = diff.classify(previous.snapshot if previous else None, content)
    draft.save()
    if draft.reconsent_campaign:  # its text names the changes: keep it in step
        campaigns.refresh(actor=actor, version=draft, campaign_id=draft.reconsent_campaign)
    audit.record(actor=actor, action="policy.draft_created", obj=draft,
                 detail={"version": version, "major": draft.classification["major"],
                         "reductions": len(draft.classification["reductions"])})
    return draft


@transaction.atomic
def configure_reconsent(*, actor: Actor, version) -> PolicyVersion:
    """Create the re-consent campaign a reduction needs before it may be published."""
    draft = _get(version)
    if draft.status != Status.DRAFT:
        raise PolicyError(409, "VERSION_PUBLISHED", "This version is published already.")
    if not draft.reconsent_campaign:
        campaign = campaigns.create(actor=actor, version=draft, reconsent=True)
        draft.reconsent_campaign = str(campaign.pk)
        draft.save(update_fields=["reconsent_campaign"])
    audit.record(actor=actor, action="policy.reconsent_configured", obj=draft,
                 detail={"version": draft.version, "campaign": draft.reconsent_campaign})
    return draft


@transaction.atomic
def publish(*, actor: Actor, version, effective_at: datetime.datetime | None = None
            ) -> PolicyVersion:
    """Publish a draft; from its effective date it is the policy in force. A reduction needs
    a configured re-consent campaign (409 REQUIRES_EXPLICIT_CONSENT); a major change starts
    the notice campaign (or the re-consent campaign, which is that notice)."""
    draft = _get(version)
    if draft.status == Status.PUBLISHED:
        raise PolicyError(409, "VERSION_PUBLISHED", "This version is published already.")
    latest = selectors.latest_published()
    if (latest.pk if latest else None) != draft.previous_id:
        raise PolicyError(409, "DRAFT_STALE", "Another version was published since this draft "
                                              "was made; create the draft again.")
    classification = draft.classification
    if classification.get("reductions") and not draft.reconsent_campaign:
        raise PolicyError(409, "REQUIRES_EXPLICIT_CONSENT",
                          "This version reduces people's rights; configure a re-consent "
                          "campaign before publishing it.",
                          {"reductions": classification["reductions"]})
    now = timezone.now()
    draft.status, draft.published_at, draft.published_by = Status.PUBLISHED, now, str(actor)
    draft.effective_at = effective_at or now
    if not draft.reconsent_campaign and classification.get("major"):
        draft.notice_campaign = str(campaigns.create(actor=actor, version=draft).pk)
    draft.save()
    waiting = _start(actor=actor, campaign_id=draft.reconsent_campaign or draft.notice_campaign)
    if 2 in classification.get("major", []):
        _ownership_changed(actor, draft)
    audit.record(actor=actor, action="policy.published", obj=draft,
                 detail={"version": draft.version, "major": classification.get("major", []),
                         "reductions": len(classification.get("reductions", [])),
                         "campaign": draft.reconsent_campaign or draft.notice_campaign,
                         "campaign_waits_for_approval": waiting})
    return draft


def _ownership_changed(actor: Actor, version: PolicyVersion) -> None:
    """A major change (2), the handler's ownership or organisation, is what a merger, division
    or sale looks like from the policy: the Art. 22 flow must run before any PI goes to the new
    holder (the ``transactions`` app; its export stays blocked until the notices are out).
    Staff are alerted to record the transaction."""
    from piwarden.alerts.services import raise_alert

    raise_alert(kind="policy.ownership_changed", severity="high", source="policy.publish",
                actor=actor, summary=f"Policy {version.version}: the handler changed. Record "
                "the corporate transaction (PIPL Art. 22) before any transfer to the new "
                "holder.", detail={"version": version.version, "major": [2]},
                objects=[version])


def _start(*, actor: Actor, campaign_id: str) -> bool:
    """Start the version's campaign; True when it waits for a second staff approval (a large
    audience, notify's rule), which does not hold the publication back."""
    if not campaign_id:
        return False
    try:
        with transaction.atomic():
            campaigns.start(actor=actor, campaign_id=campaign_id)
    except ServiceError as exc:
        if exc.code != "APPROVAL_REQUIRED":
            raise
        return True
    return False


@transaction.atomic
def accept(*, actor: Actor, subject, version, how: str) -> PolicyAcceptance:
    """Record that ``subject`` accepted ``version`` (once; later calls return the record)."""
    if isinstance(version, str):
        version = PolicyVersion.objects.filter(version=version).first()
    if version is None or version.status != Status.PUBLISHED:
        raise PolicyError(422, "VERSION_NOT_PUBLISHED", "Only a published version is accepted.")
    row, created = PolicyAcceptance.objects.get_or_create(
        subject=subject, version=version, defaults={"how": AcceptedHow(how)})
    audit.record(actor=actor, action="policy.accepted", subject=subject, obj=version,
                 categories=["user.consent"], purpose="consent.management",
                 legal_basis="legal_obligation",
                 detail={"version": version.version, "how": row.how, "new": created})
    return row


@transaction.atomic
def acknowledged(*, actor: Actor, delivery) -> PolicyAcceptance:
    """A person acknowledged a major change's notice: they accepted that version. (Reading a
    re-consent notice is not consent: that takes "I agree" on the policy page.) Called by
    notify's acknowledgement hook."""
    version = PolicyVersion.objects.get(notice_campaign=str(delivery.campaign_id))
    return accept(actor=actor, subject=delivery.subject, version=version,
                  how=AcceptedHow.ACKNOWLEDGEMENT)


@transaction.atomic
def note_high_risk(*, actor: Actor, assessment) -> str:
    """A PIPIA rated high risk is a major change (6): draft a notice for staff to complete,
    approve and start (the next policy version lists the assessment, see snapshot.py)."""
    campaign = campaigns.create_high_risk(actor=actor, assessment=assessment)
    audit.record(actor=actor, action="policy.high_risk_noted", obj=assessment,
                 detail={"campaign": str(campaign.pk), "major": [6]})
    return str(campaign.pk)
