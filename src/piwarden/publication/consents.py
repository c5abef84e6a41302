"""The separate consent for one item, kept in the one consent ledger.

The ledger keys a consent by (person, purpose, scope, recipient), and its ``recipient`` is a
catalog recipient that the consent checks refuse for any other use, so an item cannot be named
there without changing the consent app. Instead each choice about an item is an ordinary
``disclosure.public`` / ``separate.public_disclosure`` event whose stored notice (the exact
words shown) carries the item's reference and a fingerprint of its content:
``PW-<item id>/<16 hex digits>``. The person's consent to one item is then read from the
ledger, newest event first:

- a grant naming this item, with the item's current fingerprint, holds;
- a withdrawal or refusal naming this item, or naming no item (withdrawing public disclosure
  as a whole from the choices page), ends it;
- events naming another item, and a grant naming no item, do not count for this one.

The person's status comes from the decision service: an erased, cancelled or restricted
person's items never hold. See docs/publication.md for the ledger change that would let the
``recipient`` key carry the item instead.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings

from piwarden.audit.actors import Actor
from piwarden.consent import decisions
from piwarden.consent import services as consent
from piwarden.consent.models import Channel, Choice, ConsentEvent
from piwarden.publication import labels
from piwarden.publication.models import PURPOSE, SCOPE, PublishedItem

_REFERENCE = re.compile(r"PW-([0-9a-f-]{36})/([0-9a-f]{16})")
# Decisions that deny because of who the person is now, whatever they chose.
_STATUS_DENIALS = frozenset({"unknown_subject", "subject_erased", "account_cancelled",
                             "processing_restricted"})


def takedown_hours() -> int:
    return int(getattr(settings, "PIWARDEN_PUBLICATION_TAKEDOWN_HOURS", 24))


def reference(item: PublishedItem) -> str:
    return f"PW-{item.pk}/{item.digest()[:16]}"


def notice_lines(item: PublishedItem, lang: str) -> list[tuple[str, str]]:
    """(label, text) lines of what the person agrees to: what is published, where, for how
    long, that they can withdraw, the policy version and the item's reference."""
    return [*labels.notice_lines(item, lang, takedown_hours()),
            ("policy", labels.text("policy", lang).format(version=consent.policy_version())),
            ("reference", f"{labels.text('reference', lang)} {reference(item)}")]


def notice(item: PublishedItem, lang: str) -> str:
    """The notice the ledger stores as shown: the page shows these lines."""
    return "\n".join(text for _, text in notice_lines(item, lang))


def record(*, actor: Actor, item: PublishedItem, choice: Choice, lang: str,
           ip: str | None = None, user_agent: str = "",
           channel: Channel = Channel.WEB) -> ConsentEvent:
    """Record the person's choice about this one item in the ledger (its own transaction,
    or the caller's); a choice that ends a consent is announced by the ledger's
    ``consent_ended`` signal, which takes the item down (``services.on_consent_ended``)."""
    return consent.record(actor=actor, subject=item.subject, purpose=PURPOSE, choice=choice,
                          scope=SCOPE, notice_text=notice(item, lang), channel=channel,
                          ip=ip, user_agent=user_agent)


@dataclass(frozen=True)
class ItemConsent:
    holds: bool
    granted_at: datetime.datetime | None = None
    ended_at: datetime.datetime | None = None  # the person's latest "no" to this item


def state(item: PublishedItem) -> ItemConsent:
    """The person's consent to this item, read fresh from the ledger (see the module doc)."""
    if decisions.decide(item.subject_id, PURPOSE).reason in _STATUS_DENIALS:
        return ItemConsent(False)
    rows = (ConsentEvent.objects.filter(subject_id=item.subject_id, purpose=PURPOSE,
                                        scope=SCOPE)
            .order_by("-occurred_at", "-id").values_list("choice", "occurred_at",
                                                         "notice__text"))
    ended_at = None
    for choice, occurred_at, text in rows:
        found = _reference_line(text)
        if found and found.group(1) != str(item.pk):
            continue  # another item's choice
        if choice == Choice.GRANT:
            if found is None:
                continue  # public disclosure in general names no item: not this one's consent
            if found.group(2) != item.digest()[:16]:
                return ItemConsent(False)  # agreed to other content
            return ItemConsent(ended_at is None, granted_at=occurred_at, ended_at=ended_at)
        ended_at = ended_at or occurred_at
    return ItemConsent(False, ended_at=ended_at)


def _reference_line(text: str):
    """The item's reference, read from the notice's last line only (where ``notice`` puts
    it): the item's own text, shown above it, can never name another item."""
    return _REFERENCE.fullmatch(text.rstrip().rsplit("\n", 1)[-1].split()[-1]) \
        if text.strip() else None


def names_an_item(text: str) -> bool:
    return bool(_REFERENCE.search(text))


def holds(item: PublishedItem) -> bool:
    return state(item).holds
