"""What ``piwarden sites check`` verifies (P-1: a domain with no policy binding fails CI)."""

from piwarden.policy import selectors as policy
from piwarden.sites.models import Offering, OfferingStatus, Site, SiteStatus


def run() -> tuple[list[str], list[str]]:
    """``(problems, warnings)``; no site at all is a problem too."""
    problems, warnings = [], []
    sites = list(Site.objects.filter(status=SiteStatus.ACTIVE).select_related("policy_version"))
    if not sites:
        problems.append("no site is registered")
    current = policy.current()
    for site in sites:
        if not site.has_handler:
            problems.append(f"{site.domain}: no handler binding")
        version = site.policy_version
        if version is None:
            problems.append(f"{site.domain}: no policy binding")
        elif version.status != "published":
            problems.append(f"{site.domain}: bound to unpublished policy {version.version}")
        elif current is not None and version.pk != current.pk:
            warnings.append(f"{site.domain}: bound to {version.version}, the policy in force "
                            f"is {current.version}")
    live = Offering.objects.exclude(status__in=[OfferingStatus.DRAFT, OfferingStatus.ENDED])
    for offering in live.filter(default_handler=False, handler__isnull=True):
        problems.append(f"{offering.site_id}/{offering.function}: live service without a "
                        "handler binding")
    return problems, warnings
