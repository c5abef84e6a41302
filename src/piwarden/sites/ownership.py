"""What data belongs to a service, in one place (R-6.6: "then delete or anonymize").

A function's data is every stored kind of the retention registry (``subjects.registry``: each
kind names the catalog activity it is kept for, and knows how to expire its rows through its
app's audited service) whose activity serves one of the function's **own** purposes, i.e.

- the purpose is one of the function's catalog purposes,
- no other service that is still running (not ended) uses that purpose, and
- the activity rests on no legal obligation (what a law makes us keep stays, e.g. payment
  records for accounting; it expires under its own retention).

Consent states of those purposes are kept as evidence of what people agreed to (PIPL Art. 47
lets the ledger outlive the processing); they simply stop being used: the guard refuses new
grants and collection.
"""

from dataclasses import dataclass

from piwarden.catalog.models import ProcessingActivity
from piwarden.sites.models import Offering, OfferingStatus
from piwarden.subjects import registry

KEPT_BY_LAW = "legal_obligation"


@dataclass(frozen=True)
class Owned:
    purposes: tuple[str, ...]
    kinds: tuple[registry.Retention, ...]
    kept: tuple[str, ...]  # kinds of those purposes kept because a law requires them


def functions() -> dict[str, list[str]]:
    from piwarden.sites.selectors import catalog_functions

    return {f["key"]: list(f["purposes"]) for f in catalog_functions()}


def own_purposes(function: str, *, excluding: set[str] | None = None) -> list[str]:
    """The function's purposes that no other running service uses."""
    declared = functions()
    running = set(Offering.objects.exclude(status=OfferingStatus.ENDED)
                  .exclude(function=function).values_list("function", flat=True))
    running -= excluding or set()
    shared = {p for key in running for p in declared.get(key, [])}
    return [p for p in declared.get(function, []) if p not in shared]


def owned(function: str) -> Owned:
    purposes = own_purposes(function)
    activities = {a.key: a for a in ProcessingActivity.objects.filter(
        purpose__key__in=purposes).prefetch_related("legal_bases")}
    kinds, kept = [], []
    for kind in registry.retentions():
        activity = activities.get(kind.activity)
        if activity is None:
            continue
        if any(b.key == KEPT_BY_LAW for b in activity.legal_bases.all()):
            kept.append(kind.name)
        else:
            kinds.append(kind)
    return Owned(tuple(purposes), tuple(kinds), tuple(kept))
