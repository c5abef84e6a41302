"""Read queries shared by the consent pages, the API and the banner."""

import hashlib
import json
import uuid
from dataclasses import dataclass

from piwarden.catalog.models import ProcessingActivity, Purpose, StorageCategory, StorageItem
from piwarden.consent import decisions, notices
from piwarden.consent.models import ConsentEvent, ConsentState, ErasureStatus, ScheduledErasure
from piwarden.subjects.models import Subject

BANNER_PURPOSES = {category: f"cookies.{category}" for category in StorageCategory.values}
SEPARATE_CATEGORIES = frozenset({"advertising"})


def inventory_hash() -> str:
    """A short fingerprint of the cookie inventory: the banner asks again when it changes."""
    rows = list(StorageItem.objects.filter(retired=False).order_by("key").values_list(
        "key", "party", "category", "purpose__key", "lifetime"))
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def storage_items() -> dict[str, list[StorageItem]]:
    by_category: dict[str, list[StorageItem]] = {c: [] for c in StorageCategory.values}
    for item in StorageItem.objects.filter(retired=False).order_by("position"):
        by_category[item.category].append(item)
    return by_category


def banner_config(version: str, lang: str) -> dict:
    """What the banner script needs: categories, their items, texts and the version pins."""
    lang = notices.language(lang)
    zh = lang == "zh-hans"
    items = storage_items()
    return {
        "policy_version": version,
        "inventory": inventory_hash(),
        "lang": lang,
        "categories": [
            {
                "key": category,
                "purpose": BANNER_PURPOSES[category],
                "required": category == StorageCategory.NECESSARY,
                "separate": category in SEPARATE_CATEGORIES,
                "description": notices.BANNER_CATEGORIES[category][lang],
                "items": [
                    {"name": i.name, "kind": i.kind, "party": i.party, "provider": i.provider,
                     "lifetime": i.lifetime,
                     "description": i.description_zh if zh else i.description_en,
                     # What the banner shows a person: words, never the codes above.
                     **notices.item_words(i, lang)}
                    for i in items[category]
                ],
            }
            for category in StorageCategory.values
        ],
    }


@dataclass
class PurposeChoice:
    """One row of the privacy center: a purpose, a scope and the person's current choice."""

    purpose: Purpose
    scope: str
    state: ConsentState | None
    erasure: ScheduledErasure | None

    @property
    def granted(self) -> bool:
        return self.state is not None and self.state.choice == "grant"


def per_recipient_purposes() -> set[str]:
    """Purposes whose consent is given to one named recipient at a time (PIPL Art. 23, 39):
    separate consent to provision, for activities that name recipients, outside the banner.
    The privacy center's sharing page asks for these, a recipient per card; a consent to
    such a purpose that names no recipient would let nothing out."""
    banner = StorageItem.objects.filter(retired=False).values("purpose")
    candidates = ProcessingActivity.objects.filter(
        retired=False, recipients__isnull=False, purpose__retired=False,
        purpose__consent="separate").exclude(purpose__in=banner).values_list(
        "purpose__key", "purpose__separate").distinct()
    return {key for key, cases in candidates
            if decisions.RECIPIENT_SCOPES & {f"separate.{case}" for case in cases}}


def choices_for(subject: Subject) -> list[PurposeChoice]:
    """Every purpose that takes consent, in catalog order, with this person's choice; those
    given per recipient are on the sharing page instead."""
    from piwarden.consent.services import applicable_scopes

    states = {(s.purpose, s.scope): s for s in ConsentState.objects.filter(
        subject=subject, recipient="")}
    erasures = {e.purpose: e for e in ScheduledErasure.objects.filter(
        subject=subject, status=ErasureStatus.PENDING)}
    # A consent to such a purpose given without a recipient (before recipients were asked
    # for one at a time) stays here, so that it can be withdrawn.
    per_recipient = per_recipient_purposes() - {purpose for purpose, _ in states}
    rows = []
    for purpose in Purpose.objects.filter(retired=False).exclude(key__in=per_recipient):
        for scope in applicable_scopes(purpose.key):
            state = states.get((purpose.key, scope))
            # A purpose resting on the contract or a legal duty is information, not a consent
            # to ask for (issue 17 point 2); one given before (an ID consent filed under
            # service.provision) stays listed, so that it can be read and withdrawn.
            if purpose.consent == "none" and state is None:
                continue
            rows.append(PurposeChoice(purpose, scope, state, erasures.get(purpose.key)))
    return rows


@dataclass
class Processing:
    """A purpose processed without asking for consent, as the privacy center explains it."""

    purpose: Purpose
    categories: list[str]
    basis: str
    retention: list[str]


def processing_without_consent() -> list[Processing]:
    """Purposes whose basis is the contract, a legal duty or another basis that is not
    consent (catalog ``consent: none``), with what they process and for how long."""
    rows = []
    for purpose in Purpose.objects.filter(retired=False, consent="none").select_related(
            "legal_basis"):
        categories: list[str] = []
        retention: list[str] = []
        for activity in purpose.activities.filter(retired=False).prefetch_related(
                "categories").order_by("key"):
            categories += [c.key for c in activity.categories.all() if c.key not in categories]
            if activity.retention not in retention:
                retention.append(activity.retention)
        rows.append(Processing(purpose, categories, purpose.legal_basis.key, retention))
    return rows


def history(subject: Subject, limit: int = 200):
    return ConsentEvent.objects.filter(subject=subject).select_related("notice")[:limit]


VISITOR_COOKIE, VISITOR_SALT = "pw_visitor", "piwarden.consent.visitor"


def visitor_id(request) -> uuid.UUID | None:
    """The visitor id this browser proves with its HttpOnly signed cookie, if any."""
    value = request.get_signed_cookie(VISITOR_COOKIE, default=None, salt=VISITOR_SALT)
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
