"""Read queries on policy versions that other apps rely on (interfaces D)."""

import datetime

from django.conf import settings
from django.utils import timezone

from piwarden.policy.models import PolicyAcceptance, PolicyVersion, Status


def current() -> PolicyVersion | None:
    """The published version in force now: the last published whose effective date has come."""
    return (PolicyVersion.objects.filter(status=Status.PUBLISHED, effective_at__lte=timezone.now())
            .order_by("-published_at", "-id").first())


def published() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.filter(status=Status.PUBLISHED)
                .order_by("-published_at", "-id"))


def latest_published() -> PolicyVersion | None:
    """The last version published (its effective date may still be ahead)."""
    return (PolicyVersion.objects.filter(status=Status.PUBLISHED)
            .order_by("-published_at", "-id").first())


def rights_deadline_days() -> int:
    """The rights deadline the published policy promises; 10 business days when none is."""
    version = current()
    if version is None:
        from piwarden.rights.deadlines import BUSINESS_DAYS

        return BUSINESS_DAYS
    return int(version.snapshot["rights"]["deadline_business_days"])


def grace_days() -> int:
    return int(getattr(settings, "PIWARDEN_POLICY_GRACE_DAYS", 30))


def accepts_notice(shown: str, now: datetime.datetime | None = None) -> bool:
    """Whether a submission made under ``shown`` is still accepted: the current published
    version, or the one before it until ``grace_days`` after the current one took effect."""
    version = current()
    if version is None:
        return False
    if shown == version.version:
        return True
    if version.previous is None or version.previous.version != shown:
        return False
    ends = version.effective_at + datetime.timedelta(days=grace_days())
    return (now or timezone.now()) < ends


def accepted_version(subject) -> PolicyVersion | None:
    """The terms a person is on: the latest version they accepted (none: never asked).

    Accepted means acknowledged or agreed to (``PolicyAcceptance``), or, for a version that
    reduces no right, consent given on a notice naming it (the consent ledger keeps the
    version each notice showed). A reduction needs its own explicit agreement: a consent to
    some purpose is not one (Art. 14 para 2)."""
    from piwarden.consent.models import Choice, ConsentEvent

    row = (PolicyAcceptance.objects.filter(subject=subject).select_related("version")
           .order_by("-version__published_at", "-accepted_at").first())
    shown = (ConsentEvent.objects.filter(subject=subject, choice=Choice.GRANT)
             .values("policy_version").distinct())
    by_consent = next((v for v in PolicyVersion.objects.filter(
        status=Status.PUBLISHED, version__in=shown).order_by("-published_at", "-id")
        if not v.classification.get("reductions")), None)
    found = [v for v in (row.version if row else None, by_consent) if v is not None]
    return max(found, key=lambda v: (v.published_at, v.pk), default=None)


def banner_version() -> str | None:
    """The version the cookie banner pins: the latest published version whose change touched
    what the banner shows (a major change, purposes, cookies). A minor change keeps the pin,
    so the banner does not ask again for it. None when no version is published."""
    for version in published():
        if version.effective_at > timezone.now():
            continue
        if version.previous_id is None or version.classification.get("banner"):
            return version.version
    return None
