"""Reads that several callers share: which hosts may receive PI, who received a person's data.

Egress control asks ``delivery_hosts()`` on every outbound request: the hosts declared by the
catalog for recipients that are active and have at least one active flow. Nothing else may
receive PI, so a recipient that is suspended, terminated or still waiting for its assessment
has no host at all.
"""

from datetime import date, timedelta
from urllib.parse import urlsplit

from django.db.models import Q
from django.utils import timezone

from piwarden.catalog.models import Recipient
from piwarden.sharing.models import (
    Contract,
    ContractKind,
    Counterparty,
    Disclosure,
    Flow,
    Status,
)

ENDED = (Status.SUSPENDED, Status.TERMINATED)


def _active_recipients():
    """Recipients that are active and have an active flow, as a subquery."""
    flows = Flow.objects.filter(status=Status.ACTIVE).values("recipient")
    return Counterparty.objects.filter(status=Status.ACTIVE, recipient__in=flows).values(
        "recipient")


def active_recipient_keys() -> set[str]:
    return set(_active_recipients().values_list("recipient", flat=True))


def delivery_hosts() -> dict[str, set[str]]:
    """Host pattern (``api.example.cn`` or ``*.example.cn``) → the active recipients that
    declare it, for egress (one query)."""
    hosts: dict[str, set[str]] = {}
    for key, declared in Recipient.objects.filter(
            key__in=_active_recipients(), retired=False).values_list("key", "hosts"):
        for host in declared or []:
            hosts.setdefault(host.lower(), set()).add(key)
    return hosts


def host_matches(host: str, pattern: str) -> bool:
    host, pattern = host.lower().rstrip("."), pattern.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return host == pattern


def at_declared_host(recipient: Recipient, url: str) -> bool:
    """Whether the URL's host is one the catalog declares for this recipient."""
    host = urlsplit(url).hostname or ""
    return any(host_matches(host, pattern) for pattern in recipient.hosts)


def recipients_for_host(host: str) -> set[str]:
    """The active recipients that may receive PI at this host (empty: egress refuses)."""
    found: set[str] = set()
    for pattern, keys in delivery_hosts().items():
        if host_matches(host, pattern):
            found |= keys
    return found


def recipient_for_host(host: str) -> str | None:
    """One active recipient that may receive PI at this host, or None (egress refuses)."""
    found = recipients_for_host(host)
    return min(found) if found else None


def script_origins() -> list[str]:
    """Origins of browser scripts of active recipients (the CSP ``script-src`` list)."""
    origins = set()
    for declared in Recipient.objects.filter(
            key__in=_active_recipients(), retired=False).values_list("script_hosts",
                                                                      flat=True):
        origins.update(declared or [])
    return sorted(origins)


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


# --- a recipient's credentials (checked at every authentication) ---------------------------

def _last_day(contract: Contract) -> date | None:
    """The last day the contract is in force (None: open-ended)."""
    days = [day for day in (contract.ends_on, contract.terminated_on
                            and contract.terminated_on - timedelta(days=1)) if day]
    return min(days) if days else None


def entrustment_ended_on(counterparty: Counterparty, day: date) -> date | None:
    """The last day of its entrustment when no entrustment contract is in force on ``day``
    and one has ended before it; else None."""
    entrustments = list(counterparty.contracts.filter(kind=ContractKind.ENTRUSTMENT))
    if any(contract.in_force(day) for contract in entrustments):
        return None
    ended = [last for last in map(_last_day, entrustments) if last and last < day]
    return max(ended) if ended else None


def contract_ended(counterparty: Counterparty, day: date | None = None) -> bool:
    return entrustment_ended_on(counterparty, day or timezone.localdate()) is not None


def credentials_ended(recipient: str, day: date | None = None) -> bool:
    """True when the recipient's API keys and staff logins must be refused: suspended or
    terminated, or its processing contract over. Checked on every authentication."""
    counterparty = Counterparty.objects.filter(recipient=recipient).first()
    if counterparty is None:
        return False
    return counterparty.status in ENDED or contract_ended(counterparty, day)
