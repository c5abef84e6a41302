"""A snapshot in one language, as the policy page reads it: names, never raw keys.

The words for the catalog's codes (retention rules, recipient roles, consent forms, cookie
categories, countries) live here, in both languages; everything else comes from the snapshot.
"""

import re

from django.utils import translation

from piwarden.policy.diff import MAJOR

_RETENTION = {
    "session": {"en": "until you close the browser", "zh-hans": "至您关闭浏览器时"},
    "account_lifetime": {"en": "as long as your account exists", "zh-hans": "账户存续期间"},
    "until_withdrawn": {"en": "until you withdraw your consent", "zh-hans": "至您撤回同意时"},
    "legal_hold": {"en": "as long as a law requires", "zh-hans": "法律法规要求的期限"},
}
_UNITS = {"D": ("day", "days", "天"), "W": ("week", "weeks", "周"),
          "M": ("month", "months", "个月"), "Y": ("year", "years", "年")}
_ROLES = {
    "affiliate_handler": {"en": "affiliate, handler in its own right",
                          "zh-hans": "关联方（独立处理者）"},
    "independent_handler": {"en": "another handler", "zh-hans": "其他个人信息处理者"},
    "processor": {"en": "entrusted processor, acting on our instructions",
                  "zh-hans": "受托处理者（按我们的指示处理）"},
    "joint_handler": {"en": "joint handler", "zh-hans": "共同处理者"},
    "authority": {"en": "competent authority", "zh-hans": "有权机关"},
}
_CONSENT = {
    "none": {"en": "no consent needed: another legal basis",
             "zh-hans": "无需同意（其他合法性基础）"},
    "consent": {"en": "your consent", "zh-hans": "您的同意"},
    "separate": {"en": "your separate consent", "zh-hans": "您的单独同意"},
}
_COOKIES = {
    "necessary": {"en": "Strictly necessary", "zh-hans": "必要"},
    "preferences": {"en": "Preferences", "zh-hans": "偏好"},
    "analytics": {"en": "Analytics", "zh-hans": "分析"},
    "advertising": {"en": "Advertising", "zh-hans": "广告"},
}
_COUNTRIES = {
    "CN": {"en": "China", "zh-hans": "中国"},
    "HK": {"en": "Hong Kong, China", "zh-hans": "中国香港"},
    "SG": {"en": "Singapore", "zh-hans": "新加坡"},
    "US": {"en": "United States", "zh-hans": "美国"},
    "DE": {"en": "Germany", "zh-hans": "德国"}, "JP": {"en": "Japan", "zh-hans": "日本"},
    "": {"en": "—", "zh-hans": "—"},
}
_DURATION = re.compile(r"^P(\d+)([DWMY])$")


def language(lang: str | None = None) -> str:
    lang = (lang or translation.get_language() or "zh-hans").lower()
    return "zh-hans" if lang.startswith("zh") else "en"


def retention(value: str, lang: str) -> str:
    match = _DURATION.match(value or "")
    if match:
        count, (one, many, zh) = int(match[1]), _UNITS[match[2]]
        return f"{count}{zh}" if lang == "zh-hans" else f"{count} {one if count == 1 else many}"
    return _RETENTION.get(value, {"en": value, "zh-hans": value})[lang]


def country(code: str | None, lang: str) -> str:
    return _COUNTRIES.get(code or "", {"en": code, "zh-hans": code})[lang]


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
            "basis": p["basis_name"][lang], "consent": _CONSENT[p["consent"]][lang],
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
            "name": item["name"], "provider": item["provider"], "party": item["party"],
            "lifetime": item["lifetime"], "description": item["description"][lang]})
    handler = snapshot["handler"]
    officer = snapshot["protection_officer"]
    return {
        "lang": lang,
        "handler": {"name": handler["name"][lang], "address": handler["address"][lang],
                    "contact": handler["contact"], "country": country(handler["country"], lang)},
        "officer": {"department": officer["department"][lang], "title": officer["title"][lang],
                    "contact": officer["contact"]},
        "purposes": purposes,
        "cookies": [{"category": _COOKIES[c][lang], "items": cookies[c]}
                    for c in _COOKIES if c in cookies],
        "recipients": [{"name": name(r), "legal_name": r["legal_name"],
                        "role": _ROLES.get(r["role"], {"en": "", "zh-hans": ""})[lang],
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
