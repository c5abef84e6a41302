"""Reads that several callers share: which hosts may receive PI, who received a person's data.

Egress control asks ``delivery_hosts()`` on every outbound request: the hosts declared by the
catalog for recipients that are active and have at least one active flow. Nothing else may
receive PI, so a recipient that is suspended, terminated or still waiting for its assessment
has no host at all.
"""

from django.db.models import Q

from piwarden.catalog.models import ProcessingActivity, Recipient
from piwarden.sharing.models import Counterparty, Disclosure, Flow, Status


def active_recipient_keys() -> set[str]:
    """Recipients that are active and have an active flow."""
    flows = set(Flow.objects.filter(status=Status.ACTIVE).values_list("recipient", flat=True))
    return set(Counterparty.objects.filter(status=Status.ACTIVE, recipient__in=flows)
               .values_list("recipient", flat=True))


def delivery_hosts() -> dict[str, str]:
    """Host pattern (``api.example.cn`` or ``*.example.cn``) → recipient key, for egress."""
    hosts: dict[str, str] = {}
    for key, declared in Recipient.objects.filter(
            key__in=active_recipient_keys(), retired=False).values_list("key", "hosts"):
        for host in declared or []:
            hosts[host.lower()] = key
    return hosts


def host_matches(host: str, pattern: str) -> bool:
    host, pattern = host.lower().rstrip("."), pattern.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return host == pattern


def recipient_for_host(host: str) -> str | None:
    """The active recipient that may receive PI at this host, or None (egress refuses)."""
    for pattern, key in delivery_hosts().items():
        if host_matches(host, pattern):
            return key
    return None


def script_origins() -> list[str]:
    """Origins of browser scripts of active recipients (the CSP ``script-src`` list)."""
    origins = set()
    for declared in Recipient.objects.filter(
            key__in=active_recipient_keys(), retired=False).values_list("script_hosts",
                                                                         flat=True):
        origins.update(declared or [])
    return sorted(origins)


def flows_of_activity(activity: str):
    return Flow.objects.filter(activity=activity)


def recipient_flows(recipient: str):
    return Flow.objects.filter(recipient=recipient)


def declared_pairs() -> list[tuple[str, str]]:
    """(activity, recipient) for every catalog activity that names a recipient."""
    return list(ProcessingActivity.objects.filter(retired=False, recipients__retired=False)
                .values_list("key", "recipients__key").order_by("key", "recipients__key"))


def disclosures_of(subject, *, include_confidential: bool = False):
    rows = Disclosure.objects.filter(subject=subject)
    return rows if include_confidential else rows.filter(confidential=False)


def confidential_count(subject) -> int:
    return Disclosure.objects.filter(subject=subject, confidential=True).count()


def recipients_holding(subject) -> list[str]:
    """Recipients the ledger says received this person's data (deletions go to each)."""
    return sorted(set(Disclosure.objects.filter(subject=subject)
                      .filter(~Q(recipient=""))
                      .values_list("recipient", flat=True)))
