"""Checks that other apps add to the one gateway, for the flows they govern.

Authority requests, corporate transactions and cross-border transfers each put conditions on
some flows (a request approved by two people, notices sent before an export, a valid transfer
mechanism and the yearly counters). They register a ``Guard`` here instead of calling the
gateway from a side door, so every provision still passes ``sharing.services.provide``:

- ``problems(flow)``: what stops the flow today (activation, every provision, every download);
- ``counterparty_problems(counterparty, recipient)``: what stops a recipient's activation;
- ``before(batch)``: raise ``Refused`` to stop this provision (audited by the gateway);
- ``within(batch, people, dropped)``: inside the provision's transaction, after each person's
  basis was checked: return the people who may go (count the others in ``dropped``) and write
  what must commit with the provision (counters, notices).

A guard sees only flows its ``applies(flow)`` accepts. Guards run in ``order`` (then
registration): one that counts what leaves (the cross-border counters) runs after those that
only narrow the people, so nobody is counted who does not go.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field


class Refused(Exception):
    """A guard's refusal: the gateway audits it and answers with ``code``."""

    def __init__(self, code: str, message: str, *, status: int = 403, **detail):
        super().__init__(message)
        self.code, self.message, self.status, self.detail = code, message, status, detail


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass
class Batch:
    """One provision as the guards see it. ``context`` is what the caller passed to
    ``provide(context=...)`` (an authority request, a transaction); ``results`` is where a
    guard leaves what the caller should learn (people held back, say)."""

    actor: object
    flow: object
    recipient: object
    purpose: str
    categories: list[str]
    context: dict
    results: dict = field(default_factory=dict)


class Guard:
    """Base class: a guard overrides what it needs."""

    key = ""
    order = 0

    def applies(self, flow) -> bool:
        return False

    def problems(self, flow) -> list[Problem]:
        return []

    def counterparty_problems(self, counterparty, recipient) -> list[str]:
        return []

    def before(self, batch: Batch) -> None:
        return None

    def within(self, batch: Batch, people: list[uuid.UUID],
               dropped: Counter) -> list[uuid.UUID]:
        return people


_GUARDS: dict[str, Guard] = {}


def register(guard: Guard) -> Guard:
    """Add a guard (idempotent per key: the app's ready() may run twice in tests)."""
    _GUARDS[guard.key] = guard
    return guard


def for_flow(flow) -> list[Guard]:
    return sorted((guard for guard in _GUARDS.values() if guard.applies(flow)),
                  key=lambda guard: guard.order)


def problems(flow) -> list[Problem]:
    return [problem for guard in for_flow(flow) for problem in guard.problems(flow)]


def counterparty_problems(counterparty, recipient) -> list[str]:
    return [problem for guard in _GUARDS.values()
            for problem in guard.counterparty_problems(counterparty, recipient)]
