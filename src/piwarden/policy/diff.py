"""Compare two policy snapshots: what changed, in words, and what it means (§VIII).

Each change carries ``reduction`` (PIPL Art. 14 para 2 and §VIII: rights are never reduced
without explicit consent), ``major`` (the categories (1)-(6) of §VIII that need a prominent
notice), ``reconsent`` (a purpose, method or category changed: consent must be asked again, an
acknowledgement is not enough) and ``banner`` (what the cookie banner shows changed).
"""

import re
from dataclasses import asdict, dataclass, field

MAJOR = {
    1: {"en": "service mode: purposes, types or use of personal information",
        "zh-hans": "业务模式变化：处理个人信息的目的、类型或使用方式"},
    2: {"en": "ownership or organisation of the handler",
        "zh-hans": "所有权结构或组织架构变化"},
    3: {"en": "the main recipients of personal information",
        "zh-hans": "个人信息共享、转让或公开披露的主要对象变化"},
    4: {"en": "your rights and how to exercise them",
        "zh-hans": "您参与个人信息处理的权利及其行使方式变化"},
    5: {"en": "the department in charge, contact or complaint channels",
        "zh-hans": "负责处理个人信息安全的部门、联络方式及投诉渠道变化"},
    6: {"en": "a high risk found by a personal information protection impact assessment",
        "zh-hans": "个人信息保护影响评估报告表明存在高风险"},
}


@dataclass
class Change:
    kind: str
    path: str
    old: object
    new: object
    words: dict
    reduction: bool = False
    major: list[int] = field(default_factory=list)
    reconsent: bool = False
    banner: bool = False


def _w(en: str, zh: str, **names) -> dict:
    return {"en": en.format(**{k: v["en"] for k, v in names.items()}),
            "zh-hans": zh.format(**{k: v["zh-hans"] for k, v in names.items()})}


def _plain(text) -> dict:
    return {"en": str(text), "zh-hans": str(text)}


_DURATION = re.compile(r"^P(\d+)([DWMY])$")
_UNIT_DAYS = {"D": 1, "W": 7, "M": 31, "Y": 366}
_OPEN_ENDED = {"session": 0, "until_withdrawn": 10**6, "account_lifetime": 10**6,
               "legal_hold": 10**7}


def retention_rank(value: str) -> int:
    """How long data is kept, comparable: days for a duration, an order for named rules."""
    match = _DURATION.match(value or "")
    if match:
        return int(match[1]) * _UNIT_DAYS[match[2]]
    return _OPEN_ENDED.get(value, 10**6)


def _by_key(items) -> dict:
    return {item["key"]: item for item in items}


def _activities(snapshot: dict) -> dict:
    return {a["key"]: {**a, "purpose": p["key"]} for p in snapshot["purposes"]
            for a in p["activities"]}


def _collected(snapshot: dict) -> set[str]:
    return {c for a in _activities(snapshot).values() for c in a["categories"]}


def compare(old: dict | None, new: dict) -> list[Change]:
    """The changes from ``old`` to ``new`` (a first version has none)."""
    if old is None:
        return []
    changes: list[Change] = []
    changes += _handler(old, new)
    changes += _purposes(old, new)
    changes += _recipients(old, new)
    changes += _rights(old, new)
    changes += _withdrawal(old, new)
    changes += _complaints(old, new)
    changes += _storage(old, new)
    changes += _other(old, new)
    return changes


def _handler(old, new):
    out = []
    if (old["handler"]["name"], old["handler"]["legal_name"]) != (
            new["handler"]["name"], new["handler"]["legal_name"]):
        out.append(Change("handler", "handler.name", old["handler"]["name"],
                          new["handler"]["name"],
                          _w("The handler is now {n}.", "个人信息处理者变更为{n}。",
                             n=new["handler"]["name"]), major=[2]))
    for part in ("contact", "address"):
        if old["handler"].get(part) != new["handler"].get(part):
            out.append(Change("contact", f"handler.{part}", old["handler"].get(part),
                              new["handler"].get(part),
                              _w("Our contact details changed.", "我们的联系方式发生变化。"),
                              major=[5]))
    if old["protection_officer"] != new["protection_officer"]:
        out.append(Change("contact", "protection_officer", old["protection_officer"],
                          new["protection_officer"],
                          _w("The department in charge or its contact changed.",
                             "负责个人信息保护的部门或其联系方式发生变化。"), major=[5]))
    return out


def _purposes(old, new):
    out = []
    old_p, new_p = _by_key(old["purposes"]), _by_key(new["purposes"])
    collected = _collected(old)
    for key in new_p.keys() - old_p.keys():
        p = new_p[key]
        cats = {c for a in p["activities"] for c in a["categories"]}
        existing = bool(cats & collected)
        out.append(Change("purpose_added", f"purposes.{key}", None, key,
                          _w("New purpose: {n}.", "新增处理目的：{n}。", n=p["name"]),
                          reduction=existing, major=[1], reconsent=True, banner=True))
    for key in old_p.keys() - new_p.keys():
        out.append(Change("purpose_removed", f"purposes.{key}", key, None,
                          _w("Purpose no longer pursued: {n}.", "不再进行的处理目的：{n}。",
                             n=old_p[key]["name"]), major=[1], banner=True))
    old_a, new_a = _activities(old), _activities(new)
    for key in sorted(new_p.keys() & old_p.keys()):
        p, q = old_p[key], new_p[key]
        if (p["basis"], p["consent"], sorted(p["separate"])) != (
                q["basis"], q["consent"], sorted(q["separate"])):
            out.append(Change("basis", f"purposes.{key}.basis", p["basis"], q["basis"],
                              _w("The legal basis or consent for {n} changed.",
                                 "{n}的处理依据或同意方式发生变化。", n=q["name"]),
                              major=[1], reconsent=True, banner=True))
        before = {c for a in p["activities"] for c in a["categories"]}
        after = {c for a in q["activities"] for c in a["categories"]}
        for cat in sorted(after - before):
            name = new["categories"].get(cat, {}).get("name") or _plain(cat)
            out.append(Change("category_added", f"purposes.{key}.categories", None, cat,
                              _w("{c} is now also used for {n}.", "{c}现也用于{n}。",
                                 c=name, n=q["name"]),
                              reduction=cat in collected, major=[1], reconsent=True,
                              banner=True))
    for key in sorted(new_a.keys() & old_a.keys()):
        a, b = old_a[key], new_a[key]
        if retention_rank(b["retention"]) > retention_rank(a["retention"]):
            out.append(Change("retention_longer", f"activities.{key}.retention",
                              a["retention"], b["retention"],
                              _w("{n}: data is kept longer than before.",
                                 "{n}：个人信息的保存期限比以前更长。", n=b["name"]),
                              reduction=True, major=[1]))
        elif a["retention"] != b["retention"]:
            out.append(Change("retention_shorter", f"activities.{key}.retention",
                              a["retention"], b["retention"],
                              _w("{n}: data is kept for a shorter time.",
                                 "{n}：个人信息的保存期限缩短。", n=b["name"])))
        names = {r["key"]: r["name"] for r in new["recipients"]}
        for rec in sorted(set(b["recipients"]) - set(a["recipients"])):
            out.append(Change("activity_recipient", f"activities.{key}.recipients", None, rec,
                              _w("{n}: data is now also provided to {r}.",
                                 "{n}：个人信息现也提供给{r}。", n=b["name"],
                                 r=names.get(rec) or _plain(rec)),
                              reduction=bool(a["categories"]), major=[3], reconsent=True))
    return out


def _recipients(old, new):
    out = []
    old_r, new_r = _by_key(old["recipients"]), _by_key(new["recipients"])
    collected = _collected(old)
    for key in sorted(new_r.keys() - old_r.keys()):
        r = new_r[key]
        gets_existing = bool(set(r["categories"]) & collected) or any(
            key in a["recipients"] for a in _activities(new).values()
            if a["key"] in _activities(old))
        out.append(Change("recipient_added", f"recipients.{key}", None, key,
                          _w("New recipient: {n}.", "新增接收方：{n}。", n=r["name"]),
                          reduction=gets_existing, major=[3], reconsent=True))
    for key in sorted(old_r.keys() - new_r.keys()):
        out.append(Change("recipient_removed", f"recipients.{key}", key, None,
                          _w("No longer a recipient: {n}.", "不再是接收方：{n}。",
                             n=old_r[key]["name"]), major=[3]))
    for key in sorted(old_r.keys() & new_r.keys()):
        r, s = old_r[key], new_r[key]
        if r["legal_name"] != s["legal_name"] and s["legal_name"]:
            out.append(Change("recipient_named", f"recipients.{key}.legal_name",
                              r["legal_name"], s["legal_name"],
                              _w("{n} is now named: {x}.", "{n}现已明确为：{x}。", n=s["name"],
                                 x=_plain(s["legal_name"])), major=[3]))
        more = set(s["categories"]) - set(r["categories"])
        if more:
            out.append(Change("recipient_categories", f"recipients.{key}.categories",
                              sorted(r["categories"]), sorted(s["categories"]),
                              _w("{n} may now receive more kinds of data.",
                                 "{n}现可接收更多种类的个人信息。", n=s["name"]),
                              reduction=bool(more & collected), major=[3], reconsent=True))
    return out


def _rights(old, new):
    out = []
    was, now = (old["rights"]["deadline_business_days"],
                new["rights"]["deadline_business_days"])
    if was != now:
        out.append(Change("deadline", "rights.deadline_business_days", was, now,
                          _w("We now answer requests within {d} business days (before: {b}).",
                             "我们现在在{d}个工作日内答复请求（此前为{b}个工作日）。",
                             d=_plain(now), b=_plain(was)),
                          reduction=now > was, major=[4]))
    old_i, new_i = _by_key(old["rights"]["items"]), _by_key(new["rights"]["items"])
    for key in sorted(old_i.keys() - new_i.keys()):
        out.append(Change("right_removed", f"rights.{key}", key, None,
                          _w("Right removed: {n}.", "删除的权利：{n}。", n=old_i[key]["name"]),
                          reduction=True, major=[4]))
    for key in sorted(new_i.keys() - old_i.keys()):
        out.append(Change("right_added", f"rights.{key}", None, key,
                          _w("New right: {n}.", "新增权利：{n}。", n=new_i[key]["name"]),
                          major=[4]))
    for key in sorted(old_i.keys() & new_i.keys()):
        if old_i[key].get("how") != new_i[key].get("how"):
            out.append(Change("right_how", f"rights.{key}.how", old_i[key].get("how"),
                              new_i[key].get("how"),
                              _w("How to exercise a right changed: {n}.",
                                 "权利行使方式发生变化：{n}。", n=new_i[key]["name"]),
                              major=[4]))
    return out


def _withdrawal(old, new):
    out = []
    old_m, new_m = _by_key(old["withdrawal_methods"]), _by_key(new["withdrawal_methods"])
    for key in sorted(old_m.keys() - new_m.keys()):
        out.append(Change("withdrawal_removed", f"withdrawal_methods.{key}", key, None,
                          _w("You can no longer withdraw consent this way: {n}.",
                             "不再支持以下撤回同意的方式：{n}。", n=old_m[key]["name"]),
                          reduction=True, major=[4]))
    for key in sorted(new_m.keys() - old_m.keys()):
        out.append(Change("withdrawal_added", f"withdrawal_methods.{key}", None, key,
                          _w("A new way to withdraw consent: {n}.", "新增撤回同意的方式：{n}。",
                             n=new_m[key]["name"]), major=[4]))
    return out


def _complaints(old, new):
    old_c, new_c = _by_key(old["complaint_routes"]), _by_key(new["complaint_routes"])
    if old_c == new_c:
        return []
    return [Change("complaints", "complaint_routes", sorted(old_c), sorted(new_c),
                   _w("The ways to complain changed.", "投诉渠道发生变化。"), major=[5])]


def _storage(old, new):
    old_s, new_s = _by_key(old["storage"]), _by_key(new["storage"])
    out = []
    for key in sorted(new_s.keys() - old_s.keys()):
        out.append(Change("storage_added", f"storage.{key}", None, key,
                          _w("New cookie or browser storage: {n}.", "新增Cookie或浏览器存储：{n}。",
                             n=_plain(new_s[key]["name"])), banner=True))
    for key in sorted(old_s.keys() - new_s.keys()):
        out.append(Change("storage_removed", f"storage.{key}", key, None,
                          _w("Cookie or browser storage no longer used: {n}.",
                             "不再使用的Cookie或浏览器存储：{n}。",
                             n=_plain(old_s[key]["name"])), banner=True))
    return out


def _other(old, new):
    out = []
    if (old["cross_border"], old["storage_regions"]) != (
            new["cross_border"], new["storage_regions"]):
        moved = set(new["storage_regions"]) - set(old["storage_regions"])
        out.append(Change("cross_border", "cross_border", old["storage_regions"],
                          new["storage_regions"],
                          _w("Where your data is stored or transferred changed.",
                             "您的个人信息的存储地或跨境传输情况发生变化。"),
                          reduction=bool(moved), major=[1], reconsent=bool(moved)))
    seen = {a["id"] for a in old.get("high_risk_assessments", [])}
    for item in new.get("high_risk_assessments", []):
        if item["id"] not in seen:
            out.append(Change("high_risk", "high_risk_assessments", None, item["id"],
                              _w("An impact assessment found a high risk: {t}.",
                                 "个人信息保护影响评估发现高风险：{t}。", t=_plain(item["title"])),
                              major=[6]))
    if old["minors"] != new["minors"]:
        out.append(Change("minors", "minors", None, None,
                          _w("The rules for children's data changed.",
                             "关于儿童个人信息的规则发生变化。"), major=[1]))
    return out


def classify(old: dict | None, new: dict) -> dict:
    """The stored classification of a version: its changes and what they add up to."""
    changes = compare(old, new)
    return {
        "changes": [asdict(c) for c in changes],
        "reductions": [c.path for c in changes if c.reduction],
        "major": sorted({n for c in changes for n in c.major}),
        "reconsent": any(c.reconsent or c.reduction for c in changes),
        "banner": old is None or any(c.banner or c.major for c in changes),
    }
