"""The exact words a person is shown when asked for a choice.

The server composes them from the catalog, in the person's language, so that what the ledger
stores as "the notice shown" is what the page, the API and the banner actually showed.
"""

import hashlib
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from piwarden.catalog.models import ProcessingActivity, Purpose, StorageItem
from piwarden.errors import ServiceError
from piwarden.sites.selectors import provided_by

_SCOPE_TEXT = {
    "en": {
        "general": "",
        "separate.sensitive": "This is a separate consent to processing sensitive personal "
                              "information.",
        "separate.third_party": "This is a separate consent to providing your personal "
                                "information to another handler.",
        "separate.public_disclosure": "This is a separate consent to disclosing your personal "
                                      "information publicly.",
        "separate.cross_border": "This is a separate consent to transferring your personal "
                                 "information outside the People's Republic of China.",
        "withdraw": "You can withdraw at any time; withdrawing stops future processing and does "
                    "not affect processing before it.",
        "policy": "Privacy policy version {version}.",
    },
    "zh-hans": {
        "general": "",
        "separate.sensitive": "这是对处理敏感个人信息的单独同意。",
        "separate.third_party": "这是对向其他个人信息处理者提供您的个人信息的单独同意。",
        "separate.public_disclosure": "这是对公开披露您的个人信息的单独同意。",
        "separate.cross_border": "这是对向中华人民共和国境外提供您的个人信息的单独同意。",
        "withdraw": "您可以随时撤回同意；撤回后将停止后续处理，但不影响撤回前已进行的处理。",
        "policy": "隐私政策版本 {version}。",
    },
}


def language(lang: str | None = None) -> str:
    lang = (lang or translation.get_language() or "en").lower()
    return "zh-hans" if lang.startswith("zh") else "en"


def purpose_text(purpose: Purpose, scope: str, version: str, lang: str | None = None) -> str:
    """The notice for one purpose and scope, e.g. on the privacy-center page."""
    lang, texts = language(lang), _SCOPE_TEXT[language(lang)]
    name = purpose.name_zh if lang == "zh-hans" else purpose.name_en
    parts = [f"{name}.", purpose.description if lang == "en" else "", texts[scope],
             provided_by(purpose.key, lang), texts["withdraw"],
             texts["policy"].format(version=version)]
    return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class SeparateNotice:
    """The notice a separate consent shows before the person agrees (issue 17 point 4): what
    is collected, why, for how long, the effect of refusing; ``text`` is what the ledger
    records and ``digest`` the version the page sends back with the agreement."""

    purpose: str
    scope: str
    title: str
    what: str
    why: str
    how_long: str
    if_refused: str
    legal: str
    text: str

    @property
    def digest(self) -> str:
        return notice_digest(self.text)


def notice_digest(text: str) -> str:
    """The short version of a notice text that a form sends back to prove it was shown."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _activity_facts(purpose: Purpose, scope: str, categories: list[str] | None):
    """(category keys, retention codes) of the purpose's activities that this consent is
    for: the given categories; the sensitive ones for a consent to sensitive PI that comes on
    top of the purpose's own consent; else every category, since the grant covers them all
    (location and invoicing have no consent but the separate one)."""
    from piwarden.consent.decisions import rules

    rule = rules().purposes.get(purpose.key)
    keys: list[str] = []
    retention: list[str] = []
    for activity in ProcessingActivity.objects.filter(
            purpose=purpose, retired=False).prefetch_related("categories").order_by("key"):
        # Credentials (a payment password) are typed only into the provider's own fields:
        # never collected for a purpose, so never named as collected.
        own = [c.key for c in activity.categories.all()
               if not c.key.startswith("user.credentials")]
        if categories is not None:
            chosen = [k for k in own if k in categories]
        elif scope == "separate.sensitive" and rule is not None \
                and scope not in rule.scopes:
            chosen = [k for k in own if k in rule.sensitive]
        else:
            chosen = own
        if not chosen:
            continue
        keys += [k for k in chosen if k not in keys]
        if activity.retention not in retention:
            retention.append(activity.retention)
    return (categories if categories is not None else keys), retention


def separate_notice(purpose: Purpose, scope: str, version: str, lang: str | None = None, *,
                    categories: list[str] | None = None,
                    function: str = "") -> SeparateNotice:
    """The separate consent's own notice, in the person's language."""
    from piwarden.catalog import labels
    from piwarden.consent import functions

    lang = language(lang)
    with translation.override(lang):
        keys, retention = _activity_facts(purpose, scope, categories)
        name = purpose.name_zh if lang == "zh-hans" else purpose.name_en
        what = labels.categories(keys, lang=lang) if keys else name
        why = name + (f". {purpose.description}" if lang == "en" and purpose.description
                      else "")
        if function:
            why = _("%(purpose)s, for the service “%(function)s”") % {
                "purpose": why, "function": function}
        how_long = (_(", ").join(retention_words(code, lang) for code in retention)
                    or _("Only as long as this purpose needs it."))
        names = {f["key"]: f["name"].get(lang) or f["name"].get("en", "")
                 for f in functions.declared()}
        needing = [names[k] for k in functions.by_purpose().get(purpose.key, []) if k in names]
        if needing:
            if_refused = _("Without this consent these functions are not available: "
                           "%(functions)s. Everything else keeps working.") % {
                "functions": _(", ").join(needing)}
        else:
            if_refused = _("Without this consent nothing is collected for this purpose; "
                           "everything else keeps working.")
        texts = _SCOPE_TEXT[lang]
        legal = ("" if lang == "zh-hans" else " ").join(part for part in (
            texts.get(scope, ""), provided_by(purpose.key, lang), texts["withdraw"],
            texts["policy"].format(version=version)) if part)
        title = labels.scope(scope, lang=lang)
        lines = [
            _("%(title)s: %(name)s.") % {"title": title, "name": name},
            _("What we collect: %(what)s.") % {"what": what},
            _("Why: %(why)s.") % {"why": why.rstrip(".。")},
            _("How long we keep it: %(how_long)s.") % {"how_long": how_long.rstrip(".。")},
            _("If you refuse: %(effect)s") % {"effect": if_refused},
            legal,
        ]
    return SeparateNotice(purpose=purpose.key, scope=scope, title=title, what=what,
                          why=why, how_long=how_long, if_refused=if_refused, legal=legal,
                          text="\n".join(lines))


def retention_words(code: str, lang: str) -> str:
    """A retention rule (an ISO duration or a named rule) in words."""
    from piwarden.catalog import labels

    return labels.duration(code, lang=lang)


def item_words(item: StorageItem, lang: str | None = None) -> dict[str, str]:
    """A cookie or storage item's type, lifetime and setter in words, in ``lang``."""
    from piwarden.catalog import labels

    lang = language(lang)
    with translation.override(lang):
        set_by = _("This website") if item.party == "first" else _(item.provider or "Partner")
    return {"kind_label": labels.storage_kind(item.kind, lang=lang),
            "lifetime_label": labels.duration(item.lifetime, lang=lang),
            "set_by": set_by}


def banner_text(category: str, items: list[StorageItem], version: str,
                lang: str | None = None) -> str:
    """The notice for one cookie category as the banner lists it, items included."""
    lang = language(lang)
    texts = _SCOPE_TEXT[lang]
    lines = [BANNER_CATEGORIES[category][lang]]
    for item in items:
        description = item.description_zh if lang == "zh-hans" else item.description_en
        words = item_words(item, lang)
        lines.append(f"- {item.name} ({words['kind_label']}, {words['lifetime_label']}): "
                     f"{description}")
    if category == "advertising":
        lines.append(texts["separate.third_party"])
    lines += [texts["withdraw"], texts["policy"].format(version=version)]
    return "\n".join(lines)


BANNER_CATEGORIES = {
    "necessary": {"en": "Strictly necessary: needed for the site to work; always on.",
                  "zh-hans": "必要：网站运行所必需，始终开启。"},
    "preferences": {"en": "Preferences: remember choices that make the site easier to use.",
                    "zh-hans": "偏好：记住让网站更易用的设置。"},
    "analytics": {"en": "Analytics: count visits and see how the site is used, to improve it.",
                  "zh-hans": "分析：统计访问并了解网站的使用情况，以改进网站。"},
    "advertising": {"en": "Advertising: our advertising partners' cookies and storage, used to "
                          "show ads based on your browsing.",
                    "zh-hans": "广告：广告合作伙伴的Cookie和本地存储，"
                               "用于根据您的浏览活动展示广告。"},
}


class NoticeVersionError(ServiceError):
    """A PI submission without the current notice version (requirement P-2)."""

    def __init__(self, status: int, code: str, message: str, current: str):
        super().__init__(code, message, status=status, detail={"current_version": current})
        self.current = current


def check_version(shown: str | None) -> str:
    """Return the version the submission is accepted under: the current policy version, the
    published version in force, or the one before it during the grace window after a new
    version took effect (``policy.selectors.accepts_notice``, PIWARDEN_POLICY_GRACE_DAYS).
    Otherwise raise 422 (missing) or 409 ``NOTICE_OUTDATED`` (the person saw an older notice
    and must see the new one)."""
    from piwarden.consent.services import policy_version
    from piwarden.policy.selectors import accepts_notice

    current = policy_version()
    if not shown:
        raise NoticeVersionError(422, "NOTICE_VERSION_REQUIRED",
                                 "notice_version is required: the version of the notice shown.",
                                 current)
    if shown != current and not accepts_notice(shown):
        raise NoticeVersionError(409, "NOTICE_OUTDATED",
                                 f"The notice shown ({shown}) is outdated; show version {current}.",
                                 current)
    return shown
