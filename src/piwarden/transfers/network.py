"""Staff access to PI from abroad (X-7.1): reading PI from outside mainland China can count as
providing it abroad, so a staff reveal from a network configured as overseas is refused unless
a transfer record covers that access.

``PIWARDEN_OVERSEAS_NETWORKS`` lists CIDRs, each optionally ``=<recipient key>``: the overseas
entity whose staff work from that network (``"203.0.113.0/24=affiliate.intron_sg"``). Access
from it is allowed only when a transfer record of that recipient lets data through today and
covers the category; a network without a recipient is always refused.
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from piwarden.consent.erasure import covered

REFUSED = "OVERSEAS_STAFF_ACCESS"


@dataclass(frozen=True)
class Network:
    cidr: ipaddress.IPv4Network | ipaddress.IPv6Network
    recipient: str


def networks() -> list[Network]:
    """The configured overseas networks (read at each call: settings may change in tests)."""
    found = []
    for entry in getattr(settings, "PIWARDEN_OVERSEAS_NETWORKS", ()) or ():
        cidr, _, recipient = str(entry).partition("=")
        try:
            found.append(Network(ipaddress.ip_network(cidr.strip(), strict=False),
                                 recipient.strip()))
        except ValueError as exc:
            raise ImproperlyConfigured(f"PIWARDEN_OVERSEAS_NETWORKS: {exc}") from None
    return found


def overseas(ip: str) -> Network | None:
    """The overseas network ``ip`` is in, or None (also for an empty or malformed address)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return next((n for n in networks() if address.version == n.cidr.version
                 and address in n.cidr), None)


def refusal(ip: str, category: str) -> str:
    """``REFUSED`` when staff at ``ip`` may not read ``category``, else ""."""
    network = overseas(ip)
    if network is None:
        return ""
    if network.recipient:
        from piwarden.transfers.residency import valid_records

        for record in valid_records():
            if record.flow.recipient == network.recipient and \
                    covered(category, set(record.categories)):
                return ""
    return REFUSED
