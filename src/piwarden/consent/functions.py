"""The website's functions and the purposes they need (catalog section ``functions``).

A refusal or withdrawal disables only the functions that need that purpose (policy §2.4).
"""

from piwarden.catalog import selectors as catalog
from piwarden.consent import notices
from piwarden.consent.decisions import decide_all
from piwarden.subjects.models import Subject


def declared() -> list[dict]:
    release = catalog.latest_release()
    return release.functions if release else []


def by_purpose() -> dict[str, list[str]]:
    """Purpose key -> keys of the functions that need it."""
    users: dict[str, list[str]] = {}
    for function in declared():
        for purpose in function["purposes"]:
            users.setdefault(purpose, []).append(function["key"])
    return users


def status(subject: Subject, lang: str = "en") -> list[dict]:
    """Each function, whether this person can use it now, and the purposes that block it."""
    zh = notices.language(lang) == "zh-hans"
    decided = decide_all(subject.pk)
    out = []
    for function in declared():
        blocked = [p for p in function["purposes"] if p not in decided or not decided[p].allowed]
        out.append({
            "key": function["key"],
            "name": function["name"]["zh-hans" if zh else "en"],
            "purposes": function["purposes"],
            "available": not blocked,
            "blocked_by": blocked,
        })
    return out
