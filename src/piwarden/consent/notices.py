"""The exact words a person is shown when asked for a choice.

The server composes them from the catalog, in the person's language, so that what the ledger
stores as "the notice shown" is what the page, the API and the banner actually showed.
"""

from django.utils import translation

from piwarden.catalog.models import Purpose, StorageItem
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


def banner_text(category: str, items: list[StorageItem], version: str,
                lang: str | None = None) -> str:
    """The notice for one cookie category as the banner lists it, items included."""
    lang = language(lang)
    texts = _SCOPE_TEXT[lang]
    lines = [BANNER_CATEGORIES[category][lang]]
    for item in items:
        description = item.description_zh if lang == "zh-hans" else item.description_en
        lines.append(f"- {item.name} ({item.kind}, {item.lifetime}): {description}")
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
