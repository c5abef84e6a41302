"""What other apps do when a person acknowledges a notice, by campaign kind.

    hooks.on_acknowledged("policy_change", fn)   # fn(*, actor, delivery), in the same
                                                 # transaction as the acknowledgement

The policy app records the person's acceptance of the version a campaign ``concerns`` this
way; the campaign's ``concerns_type``/``concerns_id`` say which object it is about.
"""

from collections.abc import Callable

_hooks: dict[str, list[Callable]] = {}


def on_acknowledged(kind: str, fn: Callable) -> None:
    if fn not in _hooks.setdefault(kind, []):
        _hooks[kind].append(fn)


def acknowledged(*, actor, delivery) -> None:
    for fn in _hooks.get(delivery.campaign.kind, []):
        fn(actor=actor, delivery=delivery)
