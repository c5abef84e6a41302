"""Erasing what was held only on a withdrawn consent (PIPL Art. 47), when it falls due.

Apps that store PI register an eraser: ``register(name, fn)`` with
``fn(*, actor, subject, categories) -> int`` deleting that subject's data in those categories
(and their sub-categories) and returning how many items went. An eraser that also takes
``purpose`` gets the withdrawn purpose, to delete what rests on it (the collection app's
location events). Erasers run inside the service's transaction and write their own audit
records.
"""

import inspect
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.consent.models import ErasureStatus, ScheduledErasure

Eraser = Callable[..., int]
_erasers: dict[str, Eraser] = {}


def register(name: str, eraser: Eraser) -> None:
    _erasers[name] = eraser


def _takes_purpose(fn: Eraser) -> bool:
    return "purpose" in inspect.signature(fn).parameters


def covered(category: str, categories: set[str]) -> bool:
    """True when ``category`` or one of its parents is among ``categories``."""
    parts = category.split(".")
    return any(".".join(parts[:n]) in categories for n in range(1, len(parts) + 1))


@transaction.atomic
def erase(*, actor: Actor, erasure: ScheduledErasure) -> dict[str, int]:
    """Run every eraser for one due erasure and close it (a no-op when it was cancelled)."""
    erasure = ScheduledErasure.objects.select_for_update().get(pk=erasure.pk)
    if erasure.status != ErasureStatus.PENDING:
        return {}
    categories = set(erasure.categories)
    outcome = {name: fn(actor=actor, subject=erasure.subject, categories=categories,
                        **({"purpose": erasure.purpose} if _takes_purpose(fn) else {}))
               for name, fn in sorted(_erasers.items())}
    erasure.status, erasure.done_at, erasure.outcome = ErasureStatus.DONE, timezone.now(), outcome
    erasure.save(update_fields=["status", "done_at", "outcome"])
    audit.record(actor=actor, action="consent.withdrawal_erasure_done", subject=erasure.subject,
                 obj=erasure, categories=sorted(categories), purpose="consent.management",
                 legal_basis="legal_obligation",
                 detail={"withdrawn_purpose": erasure.purpose, "erased": outcome})
    return outcome


def run_due(*, actor: Actor, limit: int = 200) -> int:
    """Erase the due ones, oldest first, each in its own transaction; returns how many ran."""
    due = ScheduledErasure.objects.filter(status=ErasureStatus.PENDING,
                                          due_at__lte=timezone.now())[:limit]
    count = 0
    for erasure in due:
        erase(actor=actor, erasure=erasure)
        count += 1
    return count
