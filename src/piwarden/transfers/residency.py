"""Where the catalog says PI is kept (X-7.1, Z-6): every store, backup, log sink, gateway and
processor outside mainland China needs a transfer record that covers it.

Mainland China is "CN" only: Hong Kong, Macao and Taiwan (HK, MO, TW) are outside it for
PIPL Art. 38-40. A system with no region is on the person's own device. Every catalog
system counts as PI-bearing (the catalog lists a system because it holds PI).

What covers what, with an active record whose mechanism has no problem today, to the same
country or region:
- a system: a record on a flow of an activity that uses the system;
- a processor: a record on one of its flows;
- an activity storing abroad (``storage_region``): a record on one of its flows.
"""

from dataclasses import dataclass

from django.utils import timezone

from piwarden.catalog.models import ProcessingActivity, Recipient, RecipientRole, System
from piwarden.transfers import rules
from piwarden.transfers.models import RecordStatus, TransferRecord

MAINLAND = "CN"


@dataclass(frozen=True)
class Finding:
    """One PI location abroad without a valid transfer record."""

    kind: str  # system, processor, activity
    key: str
    region: str
    why: str


def abroad(region: str | None) -> bool:
    return bool(region) and region.upper() != MAINLAND


def valid_records() -> list[TransferRecord]:
    """The records that let data through today (active, no problem with the mechanism)."""
    today = timezone.localdate()
    return [record for record in TransferRecord.objects.select_related("flow").filter(
        status=RecordStatus.ACTIVE) if not rules.problems(record, today)]


def findings() -> list[Finding]:
    """Every PI location outside mainland China the valid transfer records do not cover."""
    valid = valid_records()
    # What each valid record covers is tied to where it goes: a record to Hong Kong covers
    # nothing in the United States.
    activities = {(r.flow.activity, r.country.upper()) for r in valid}
    recipients = {(r.flow.recipient, r.country.upper()) for r in valid}
    covered_systems = _systems_covered(activities)
    found = []
    for system in System.objects.filter(retired=False):
        if abroad(system.region) and (system.key, system.region.upper()) not in covered_systems:
            found.append(Finding("system", system.key, system.region,
                                 "no valid transfer record to that country or region on a "
                                 "flow of an activity using it"))
    for recipient in Recipient.objects.filter(retired=False, role=RecipientRole.PROCESSOR):
        if abroad(recipient.country) and \
                (recipient.key, recipient.country.upper()) not in recipients:
            found.append(Finding("processor", recipient.key, recipient.country,
                                 "no valid transfer record on one of its flows"))
    for activity in ProcessingActivity.objects.filter(retired=False):
        if abroad(activity.storage_region) and \
                (activity.key, activity.storage_region.upper()) not in activities:
            found.append(Finding("activity", activity.key, activity.storage_region,
                                 "stores abroad without a valid transfer record to that "
                                 "country or region on its flows"))
    return found


def _systems_covered(activities: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(system, country) pairs: a system used by an activity with a valid record to that
    country."""
    countries: dict[str, set[str]] = {}
    for activity, country in activities:
        countries.setdefault(activity, set()).add(country)
    return {(system, country) for system, activity in System.objects.filter(
        activities__key__in=list(countries)).values_list("key", "activities__key")
        for country in countries[activity]}
