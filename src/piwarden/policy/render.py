"""A snapshot in one language, as the policy page reads it: names, never raw keys.

The words for the catalog's codes (retention rules and cookie lifetimes, recipient roles,
consent forms, cookie categories, countries) come from the one label module
(``piwarden.catalog.labels``); everything else comes from the snapshot.
"""

from django.utils import translation

from piwarden.catalog import labels
from piwarden.policy.diff import MAJOR


def language(lang: str | None = None) -> str:
    lang = (lang or translation.get_language() or "zh-hans").lower()
    return "zh-hans" if lang.startswith("zh") else "en"


def retention(value: str, lang: str) -> str:
    return labels.duration(value, lang)


def country(code: str | None, lang: str) -> str:
    return labels.country(code, lang) if code else "—"


def major_names(numbers, lang: str) -> list[str]:
    return [f"({n}) {MAJOR[n][lang]}" for n in numbers]


def policy(snapshot: dict, lang: str | None = None) -> dict:
    """The template's context for the whole policy in ``lang`` ("zh-hans" or "en")."""
    lang = language(lang)
    cats, recipients = snapshot["categories"], {r["key"]: r for r in snapshot["recipients"]}

    def name(item) -> str:
        return item["name"][lang]

    purposes = []
    for p in snapshot["purposes"]:
        keys = sorted({c for a in p["activities"] for c in a["categories"]})
        purposes.append({
            "name": name(p), "description": p["description"] if lang == "en" else "",
            "basis": p["basis_name"][lang],
            "consent": labels.consent_requirement(p["consent"], lang),
            "categories": [{"name": cats[c]["name"][lang], "sensitive": cats[c]["sensitive"]}
                           for c in keys if c in cats],
            "activities": [{"name": name(a), "retention": retention(a["retention"], lang),
                            "recipients": [name(recipients[r]) for r in a["recipients"]
                                           if r in recipients]}
                           for a in p["activities"]],
        })
    cookies: dict[str, list] = {}
    for item in snapshot["storage"]:
        cookies.setdefault(item["category"], []).append({
            "name": item["name"], "provider": labels.provider(item["provider"], lang),
            "party": item["party"],
            "lifetime": labels.duration(item["lifetime"], lang),
            "description": item["description"][lang]})
    handler = snapshot["handler"]
    officer = snapshot["protection_officer"]
    return {
        "lang": lang,
        "handler": {"name": handler["name"][lang], "address": handler["address"][lang],
                    "contact": handler["contact"], "country": country(handler["country"], lang)},
        "officer": {"department": officer["department"][lang], "title": officer["title"][lang],
                    "contact": officer["contact"]},
        "purposes": purposes,
        "cookies": [{"category": labels.storage_category(c, lang), "items": cookies[c]}
                    for c in labels.STORAGE_CATEGORY_ORDER if c in cookies],
        "recipients": [{"name": name(r), "legal_name": r["legal_name"],
                        "role": labels.recipient_role(r["role"], lang),
                        "country": country(r["country"], lang)}
                       for r in snapshot["recipients"]],
        "deadline": snapshot["rights"]["deadline_business_days"],
        "rights": [{"name": name(r), "how": r["how"][lang]} for r in snapshot["rights"]["items"]],
        "withdrawal": [{"name": name(m), "how": m["how"][lang]}
                       for m in snapshot["withdrawal_methods"]],
        "complaints": [{"name": name(c), "how": c["how"][lang]}
                       for c in snapshot["complaint_routes"]],
        "cross_border": snapshot["cross_border"][lang],
        "regions": [country(r, lang) for r in snapshot["storage_regions"]],
        "minors": snapshot["minors"][lang],
    }


def changes(classification: dict, lang: str | None = None) -> list[dict]:
    """The diff page's rows: each change in words, marked reduction / major (n)."""
    lang = language(lang)
    return [{"words": c["words"][lang], "reduction": c["reduction"],
             "major": major_names(c["major"], lang), "reconsent": c["reconsent"]}
            for c in classification.get("changes", [])]
