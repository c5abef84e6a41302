"""What a person is told about sharing, in Simplified Chinese and English.

One place for the words of the sharing codes (method, role, country, consent state), for the
consent cards ("offers": the companies that may receive the person's data with a consent of
its own) and for the register ("who has my data"). The page, the API and the notice the
consent ledger stores are all built here, so the ledger's "notice shown" is word for word what
the page showed (S-4.1.1a), and no template prints a code.
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from piwarden.catalog.models import DataCategory, ProcessingActivity, Purpose, Recipient
from piwarden.consent import notices
from piwarden.consent.models import ConsentState
from piwarden.consent.services import policy_version
from piwarden.sharing import guards, selectors
from piwarden.sharing.models import Disclosure, Flow, Method, Status
from piwarden.sharing.services import CONSENT_BASES, HANDLER_ROLES

CHINA = ZoneInfo("Asia/Shanghai")
# A consent to one recipient is a separate consent to provision (PIPL Art. 23).
SCOPE = "separate.third_party"
CROSS_BORDER_PURPOSE = "crossborder.transfer"
CROSS_BORDER_SCOPE = "separate.cross_border"  # a flow abroad resting on consent (Art. 39)

METHODS = {
    Method.DOWNLOAD: {
        "en": "In an encrypted file that the company downloads through a link that expires",
        "zh-hans": "以加密文件提供，由对方通过有时效的链接下载"},
    Method.PUSH: {
        "en": "Sent directly to the company's system over an encrypted connection",
        "zh-hans": "通过加密连接直接发送至对方的系统"},
}
ROLES = {
    "affiliate_handler": {"en": "Affiliated company that decides itself how it uses the data",
                          "zh-hans": "关联公司（自行决定如何使用数据）"},
    "independent_handler": {"en": "Another company that decides itself how it uses the data",
                            "zh-hans": "其他公司（自行决定如何使用数据）"},
    "processor": {"en": "Service provider that processes the data on our behalf",
                  "zh-hans": "代表我们处理数据的服务提供商"},
    "joint_handler": {"en": "Company that decides together with us how the data is used",
                      "zh-hans": "与我们共同决定数据用途的公司"},
    "authority": {"en": "Public authority", "zh-hans": "国家机关"},
}
NOT_STATED = {"en": "Not stated", "zh-hans": "未说明"}
COUNTRIES = {
    "CN": {"en": "China (mainland)", "zh-hans": "中国（境内）"},
    "HK": {"en": "Hong Kong, China", "zh-hans": "中国香港"},
    "MO": {"en": "Macao, China", "zh-hans": "中国澳门"},
    "TW": {"en": "Taiwan, China", "zh-hans": "中国台湾"},
    "SG": {"en": "Singapore", "zh-hans": "新加坡"},
    "JP": {"en": "Japan", "zh-hans": "日本"},
    "KR": {"en": "Republic of Korea", "zh-hans": "韩国"},
    "US": {"en": "United States", "zh-hans": "美国"},
    "GB": {"en": "United Kingdom", "zh-hans": "英国"},
    "DE": {"en": "Germany", "zh-hans": "德国"},
    "FR": {"en": "France", "zh-hans": "法国"},
    "IE": {"en": "Ireland", "zh-hans": "爱尔兰"},
    "NL": {"en": "Netherlands", "zh-hans": "荷兰"},
    "": NOT_STATED,
}
# Catalog rows are retired, never deleted; this only guards a register row against a bad key.
UNKNOWN_RECIPIENT = {"en": "A recipient no longer in our records",
                     "zh-hans": "已不在我们记录中的接收方"}
STATES = {
    "granted": {"en": "Granted on {date}", "zh-hans": "已于 {date} 同意"},
    "withdrawn": {"en": "Withdrawn on {date}", "zh-hans": "已于 {date} 撤回"},
    "refused": {"en": "Refused on {date}", "zh-hans": "已于 {date} 拒绝"},
    "not_asked": {"en": "Not asked yet", "zh-hans": "尚未询问"},
}
WHEN = {"en": "{count} times, from {first} to {last}",
        "zh-hans": "共 {count} 次，{first} 至 {last}"}
WHEN_ONE_DAY = {"en": "{count} times on {first}", "zh-hans": "{first} 共 {count} 次"}
_STATE_OF = {"grant": "granted", "withdraw": "withdrawn", "refuse": "refused"}
# The consent notice: every line of it is shown on the card, in this order.
NOTICE = {
    "en": {
        "title": "Separate consent to provide your personal information to another company",
        "company": "Company", "contact": "Contact", "country": "Country or region",
        "purpose": "Purpose", "method": "How it is provided",
        "categories": "Personal information provided", "separator": ": ", "list": ", ",
        "separate": "This consent covers this company, this purpose and this information "
                    "only; any other company or purpose needs a consent of its own.",
        "withdraw": "You can withdraw at any time; withdrawing stops future provision and does "
                    "not affect provision before it.",
        "policy": "Privacy policy version {version}.",
        "title_abroad": "Separate consent to provide your personal information to a company "
                        "outside mainland China",
        "rights_abroad": "How to exercise your rights against it",
        "separate_abroad": "The company is outside mainland China (PIPL Art. 39). This "
                           "consent covers this company, this purpose and this information "
                           "only.",
    },
    "zh-hans": {
        "title": "向其他公司提供您的个人信息的单独同意",
        "company": "公司", "contact": "联系方式", "country": "所在国家或地区",
        "purpose": "目的", "method": "提供方式", "categories": "提供的个人信息",
        "separator": "：", "list": "、",
        "separate": "本同意仅适用于此公司、此目的和上述信息；向其他公司提供或用于其他目的，"
                    "须另行取得您的同意。",
        "withdraw": "您可以随时撤回同意；撤回后将停止后续提供，但不影响撤回前已进行的提供。",
        "policy": "隐私政策版本 {version}。",
        "title_abroad": "向中国大陆境外的公司提供您的个人信息的单独同意",
        "rights_abroad": "向其行使权利的方式",
        "separate_abroad": "该公司位于中国大陆境外（《个人信息保护法》第三十九条）。本同意仅适用于"
                           "此公司、此目的和上述信息。",
    },
}


def language(lang: str | None = None) -> str:
    """``zh-hans`` or ``en``: the request's language unless one is given."""
    return notices.language(lang)


def china_time(moment: datetime | None) -> datetime | None:
    return moment.astimezone(CHINA) if moment else None


def day(moment: datetime | None) -> str:
    """The date in China time, as every privacy-center page writes it."""
    return china_time(moment).strftime("%Y-%m-%d") if moment else ""


def _word(table: dict, code: str, lang: str) -> str:
    return table[code][lang] if code in table else table.get("", {}).get(lang, "")


def method_label(method: str, lang: str) -> str:
    return _word(METHODS, method, lang)


def role_label(role: str, lang: str) -> str:
    return _word(ROLES, role, lang)


def country_label(country: str, lang: str) -> str:
    """Countries the registry uses; any other is shown by its ISO code, which is its name in
    every language."""
    return COUNTRIES[country][lang] if country in COUNTRIES else country


def state_label(state: str, since: datetime | None, lang: str) -> str:
    return STATES[state][lang].format(date=day(since))


def _name(row, lang: str) -> str:
    return (row.name_zh if lang == "zh-hans" else row.name_en) or row.name_en


class CategoryNames:
    """Category names by key; a key the catalog no longer has is named by its nearest parent,
    so that a code never reaches the person."""

    def __init__(self):
        self.rows = {c.key: c for c in DataCategory.objects.all()}

    def name(self, key: str, lang: str) -> str:
        parts = key.split(".")
        for size in range(len(parts), 0, -1):
            row = self.rows.get(".".join(parts[:size]))
            if row is not None:
                return _name(row, lang)
        return NOTICE[lang]["categories"]

    def names(self, keys, lang: str) -> list[str]:
        return list(dict.fromkeys(self.name(key, lang) for key in keys))


@dataclass(frozen=True)
class Company:
    """A recipient as the person sees it: its legal name where the catalog has one."""

    key: str
    name: str
    kind: str  # the catalog's description of the party, in the person's language
    contact: str
    country: str
    country_name: str
    role: str
    role_name: str

    @classmethod
    def of(cls, key: str, recipient: Recipient | None, lang: str) -> "Company":
        if recipient is None:  # a key the catalog never had: the register row still shows
            return cls(key=key, name=UNKNOWN_RECIPIENT[lang], kind="", contact="",
                       country="", country_name="", role="", role_name="")
        kind = _name(recipient, lang)
        return cls(key=key, name=recipient.legal_name or kind,
                   kind=kind if recipient.legal_name else "", contact=recipient.contact,
                   country=recipient.country,
                   country_name=country_label(recipient.country, lang),
                   role=recipient.role, role_name=role_label(recipient.role, lang))

    @property
    def full_name(self) -> str:
        return f"{self.name} ({self.kind})" if self.kind else self.name


@dataclass(frozen=True)
class Notice:
    """The words of one consent card; ``text`` is what the ledger stores as shown."""

    title: str
    fields: tuple[tuple[str, str], ...]
    sentences: tuple[str, ...]
    separator: str

    @property
    def text(self) -> str:
        lines = [self.title, *(f"{label}{self.separator}{value}" for label, value in self.fields),
                 *self.sentences]
        return "\n".join(lines)


def notice(*, company: Company, purpose: str, method: str, categories: list[str], version: str,
           lang: str, rights_abroad: str | None = None) -> Notice:
    """The consent notice for one recipient's flow: recipient, contact, purpose, method and
    categories (PIPL Art. 23), in the person's language; for a recipient outside mainland
    China (``rights_abroad`` given, from its transfer record) also how to exercise rights
    against it (Art. 39). The only builder of these words."""
    words = NOTICE[lang]
    company_name = (f"{company.name}（{company.kind}）" if lang == "zh-hans" and company.kind
                    else company.full_name)
    abroad = rights_abroad is not None
    return Notice(
        title=words["title_abroad" if abroad else "title"],
        fields=((words["company"], company_name),
                (words["contact"], company.contact or NOT_STATED[lang]),
                (words["country"], company.country_name),
                (words["purpose"], purpose),
                (words["method"], method_label(method, lang)),
                (words["categories"], words["list"].join(categories)),
                *(((words["rights_abroad"], rights_abroad or NOT_STATED[lang]),)
                  if abroad else ())),
        sentences=(words["separate_abroad" if abroad else "separate"], words["withdraw"],
                   words["policy"].format(version=version)),
        separator=words["separator"])


@dataclass
class Offer:
    """One company that may receive the person's data only with their consent (a card)."""

    flow: Flow
    company: Company
    purpose: str  # purpose key, the consent ledger's
    purpose_name: str
    method: str
    method_name: str
    categories: list[str]
    category_names: list[str]
    active: bool  # the flow runs now: a grant is possible
    state: str  # granted / withdrawn / refused / not_asked
    since: datetime | None
    state_name: str
    changed: bool  # granted, but on a notice that differs from today's
    notice: Notice
    version: str
    scope: str = SCOPE  # the consent ledger's: CROSS_BORDER_SCOPE for a flow abroad

    @property
    def granted(self) -> bool:
        return self.state == "granted"


def _needs_recipient_consent() -> tuple[list[Flow], dict[str, Recipient]]:
    recipients = {r.key: r for r in Recipient.objects.filter(role__in=HANDLER_ROLES)}
    flows = list(Flow.objects.filter(legal_basis__in=CONSENT_BASES,
                                     recipient__in=list(recipients)))
    return flows, recipients


def offers(subject, lang: str | None = None) -> list[Offer]:
    """The flows whose recipient needs the person's separate consent: every active one, and
    any other the person granted (so a grant can always be withdrawn)."""
    lang = language(lang)
    version = policy_version()
    flows, recipients = _needs_recipient_consent()
    if not flows:
        return []
    running = selectors.active_recipient_keys()
    activities = {a.key: a for a in ProcessingActivity.objects.filter(
        key__in={f.activity for f in flows}).select_related("purpose")}
    states = {(s.purpose, s.scope, s.recipient): s for s in ConsentState.objects.filter(
        subject=subject, scope__in=(SCOPE, CROSS_BORDER_SCOPE)).exclude(recipient="")
        .select_related("event__notice")}
    abroad = _rights_abroad(flows)
    categories = CategoryNames()
    out = []
    for flow in flows:
        activity = activities.get(flow.activity)
        if activity is None or (flow.cross_border and flow.pk not in abroad):
            continue  # abroad, only the transfer purpose's flows with a transfer record
        scope = CROSS_BORDER_SCOPE if flow.cross_border else SCOPE
        state = states.get((activity.purpose.key, scope, flow.recipient))
        active = (flow.status == Status.ACTIVE and not guards.problems(flow)
                  and flow.recipient in running and not recipients[flow.recipient].retired)
        if not active and not (state and state.choice == "grant"):
            continue
        company = Company.of(flow.recipient, recipients[flow.recipient], lang)
        purpose_name = _name(activity.purpose, lang)
        names = categories.names(flow.categories, lang)
        code = _STATE_OF.get(state.choice, "not_asked") if state else "not_asked"
        shown = notice(company=company, purpose=purpose_name, method=flow.method,
                       categories=names, version=version, lang=lang,
                       rights_abroad=_rights(abroad.get(flow.pk), lang))
        out.append(Offer(
            flow=flow, company=company, purpose=activity.purpose.key, purpose_name=purpose_name,
            method=flow.method, method_name=method_label(flow.method, lang),
            categories=list(flow.categories), category_names=names, active=active,
            state=code, since=state.changed_at if state else None,
            state_name=state_label(code, state.changed_at if state else None, lang),
            changed=code == "granted" and _changed(state, flow, recipients, activity,
                                                   categories, abroad.get(flow.pk)),
            notice=shown, version=version, scope=scope))
    return sorted(out, key=lambda offer: (not offer.active, offer.company.name, offer.flow.pk))


def _rights_abroad(flows: list[Flow]) -> dict:
    """The transfer record of each flow abroad whose consent is the cross-border one (its own
    purpose is the transfer): the Art. 39 rights text the notice shows."""
    from piwarden.transfers.models import TransferRecord

    abroad = [f.pk for f in flows if f.cross_border]
    if not abroad:
        return {}
    return {r.flow_id: r for r in TransferRecord.objects.filter(
        flow_id__in=abroad, flow__activity__in=ProcessingActivity.objects.filter(
            purpose__key=CROSS_BORDER_PURPOSE).values("key"))}


def _rights(record, lang: str) -> str | None:
    if record is None:
        return None
    return (record.notice_zh if lang == "zh-hans" else record.notice_en).strip()


def _changed(state: ConsentState, flow: Flow, recipients, activity, categories,
             record=None) -> bool:
    """The grant's notice differs from the one shown today (same policy version): the
    company, its contact, the method or the categories changed since the person agreed."""
    stored = state.event.notice.text
    for lang in NOTICE:
        today = notice(company=Company.of(flow.recipient, recipients[flow.recipient], lang),
                       purpose=_name(activity.purpose, lang), method=flow.method,
                       categories=categories.names(flow.categories, lang),
                       version=state.policy_version, lang=lang,
                       rights_abroad=_rights(record, lang))
        if today.text == stored:
            return False
    return True


def offer(subject, flow_id: int, lang: str | None = None) -> Offer | None:
    """The person's card for one flow, or None: a flow that is not offered to them."""
    return next((o for o in offers(subject, lang) if o.flow.pk == flow_id), None)


@dataclass
class Provided:
    """Provisions of one purpose and set of categories to one recipient."""

    purpose: str
    purpose_name: str
    categories: list[str]
    category_names: list[str]
    lang: str
    dates: list[datetime] = field(default_factory=list)  # newest first

    @property
    def category_text(self) -> str:
        return NOTICE[self.lang]["list"].join(self.category_names)

    @property
    def when(self) -> str:
        """The date, or how many times between which dates, in China time."""
        if len(self.dates) == 1:
            return day(self.last)
        words = WHEN_ONE_DAY if day(self.first) == day(self.last) else WHEN
        return words[self.lang].format(count=len(self.dates), first=day(self.first),
                                      last=day(self.last))

    @property
    def first(self) -> datetime:
        return self.dates[-1]

    @property
    def last(self) -> datetime:
        return self.dates[0]


@dataclass(frozen=True)
class Abroad:
    """A recipient outside mainland China (PIPL Art. 39): where it is, and how the person
    exercises their rights against it (the transfer record's notice)."""

    country: str
    country_name: str
    rights: tuple[str, ...]


@dataclass
class Received:
    """One recipient in the register, with what it received."""

    company: Company
    provided: list[Provided] = field(default_factory=list)
    abroad: Abroad | None = None

    @property
    def last(self) -> datetime:
        return max(p.last for p in self.provided)


def received(subject, lang: str | None = None) -> tuple[list[Received], int]:
    """Who received the person's data, from the register, newest recipient first, and how
    many provisions the law keeps from them (to an authority, PIPL Art. 18, 45): those are
    withheld and only counted."""
    lang = language(lang)
    rows = list(selectors.disclosures_of(subject).order_by("-provided_at", "-id"))
    withheld = selectors.confidential_count(subject)
    if not rows:
        return [], withheld
    recipients = {r.key: r for r in Recipient.objects.filter(
        key__in={row.recipient for row in rows})}
    purposes = {p.key: p for p in Purpose.objects.filter(key__in={row.purpose for row in rows})}
    categories = CategoryNames()
    groups: dict[str, Received] = {}
    entries: dict[tuple, Provided] = {}
    for row in rows:
        group = groups.get(row.recipient)
        if group is None:
            group = groups[row.recipient] = Received(
                Company.of(row.recipient, recipients.get(row.recipient), lang))
        key = (row.recipient, row.purpose, tuple(sorted(row.categories)))
        entry = entries.get(key)
        if entry is None:
            purpose = purposes.get(row.purpose)
            entry = entries[key] = Provided(
                purpose=row.purpose,
                purpose_name=_name(purpose, lang) if purpose else _purpose_of(row, lang),
                categories=list(row.categories),
                category_names=categories.names(row.categories, lang), lang=lang)
            group.provided.append(entry)
        entry.dates.append(row.provided_at)
    _mark_abroad(groups, {(row.activity, row.recipient) for row in rows}, lang)
    return list(groups.values()), withheld


# --- Overseas transfers (transfers app): the Art. 39 items on "who has my data" ----------
def _mark_abroad(groups: dict[str, Received], pairs: set[tuple[str, str]], lang: str) -> None:
    """Mark each recipient that received the person's data on a flow with a transfer record."""
    from piwarden.transfers.models import TransferRecord

    records = [r for r in TransferRecord.objects.select_related("flow").filter(
        flow__recipient__in=list(groups)).order_by("pk")
        if (r.flow.activity, r.flow.recipient) in pairs]
    for record in records:
        group = groups[record.flow.recipient]
        rights = (record.notice_zh if lang == "zh-hans" else record.notice_en).strip()
        before = group.abroad.rights if group.abroad else ()
        group.abroad = Abroad(country=record.country,
                              country_name=country_label(record.country, lang),
                              rights=tuple(dict.fromkeys((*before, rights) if rights
                                                         else before)))
# --- end overseas transfers ---


def _purpose_of(row: Disclosure, lang: str) -> str:
    """A purpose the catalog no longer has: named by the activity that provided, if any."""
    activity = ProcessingActivity.objects.filter(key=row.activity).first()
    return _name(activity, lang) if activity else NOTICE[lang]["purpose"]
