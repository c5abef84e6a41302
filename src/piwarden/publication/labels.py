"""Every word a person sees about a published item, in both languages, in one place: pages
and the consent notice are composed from here, so no page prints a raw code."""

from django.urls import reverse
from django.utils import translation

from piwarden.publication.models import Kind, PublishedItem

_TEXT = {
    "en": {
        Kind.TESTIMONIAL: "Testimonial", Kind.CASE_STUDY: "Case study", Kind.PHOTO: "Photo",
        "intro": "We would like to publish the following about you on our public website.",
        "title": "Title", "text": "Text", "image": "Photo or image",
        "image_yes": "A photo or image (shown on this page) is published with it.",
        "where": "Where: on our public website's stories page ({url}), where anyone can see it.",
        "how_long": "For how long: until you withdraw your consent. After you withdraw, we take "
                    "it down within {hours} hours.",
        "separate": "This is a separate consent to disclosing your personal information "
                    "publicly, for this item only.",
        "withdraw": "You can withdraw at any time on this page; withdrawing takes the item down "
                    "and does not affect its publication before.",
        "reference": "Item reference:",
        "policy": "Privacy policy version {version}.",
        "state.awaiting": "Waiting for your decision", "state.granted": "You agreed",
        "state.ended": "You did not agree or you withdrew",
        "status.awaiting_consent": "Not published", "status.published": "Published",
        "status.taken_down": "Taken down",
    },
    "zh-hans": {
        Kind.TESTIMONIAL: "用户评价", Kind.CASE_STUDY: "案例", Kind.PHOTO: "照片",
        "intro": "我们希望在公开网站上发布以下关于您的内容。",
        "title": "标题", "text": "正文", "image": "照片或图片",
        "image_yes": "将同时发布一张照片或图片（见本页）。",
        "where": "发布位置：我们公开网站的案例页面（{url}），任何人都可以看到。",
        "how_long": "发布期限：直至您撤回同意。您撤回后，我们将在 {hours} 小时内下线该内容。",
        "separate": "这是仅针对此项内容公开披露您的个人信息的单独同意。",
        "withdraw": "您可以随时在本页撤回同意；撤回后该内容将被下线，但不影响撤回前的发布。",
        "reference": "内容编号：",
        "policy": "隐私政策版本 {version}。",
        "state.awaiting": "等待您的决定", "state.granted": "您已同意",
        "state.ended": "您未同意或已撤回",
        "status.awaiting_consent": "未发布", "status.published": "已发布",
        "status.taken_down": "已下线",
    },
}


def language(lang: str | None = None) -> str:
    lang = (lang or translation.get_language() or "en").lower()
    return "zh-hans" if lang.startswith("zh") else "en"


def text(key: str, lang: str | None = None) -> str:
    return _TEXT[language(lang)][key]


def kind(item: PublishedItem, lang: str | None = None) -> str:
    return text(item.kind, lang)


def title(item: PublishedItem, lang: str | None = None) -> str:
    return item.title_zh if language(lang) == "zh-hans" else item.title_en


def body(item: PublishedItem, lang: str | None = None) -> str:
    return item.body_zh if language(lang) == "zh-hans" else item.body_en


def public_url(item: PublishedItem) -> str:
    return reverse("publication:story", args=[item.pk])


def notice_lines(item: PublishedItem, lang: str, hours: int) -> list[tuple[str, str]]:
    """(label, text) lines of the consent notice; the content in both languages, since both
    are published."""
    lang = language(lang)
    lines = [("intro", text("intro", lang)), ("kind", kind(item, lang))]
    for code in ("zh-hans", "en"):
        lines.append(("title", f"{text('title', lang)} ({_name(code, lang)}): "
                               f"{title(item, code)}"))
        if body(item, code):
            lines.append(("text", f"{text('text', lang)} ({_name(code, lang)}): "
                                  f"{body(item, code)}"))
    if item.image:
        lines.append(("image", text("image_yes", lang)))
    lines += [("where", text("where", lang).format(url=public_url(item))),
              ("how_long", text("how_long", lang).format(hours=hours)),
              ("separate", text("separate", lang)), ("withdraw", text("withdraw", lang))]
    return lines


def _name(code: str, lang: str) -> str:
    names = {"en": {"en": "English", "zh-hans": "Chinese"},
             "zh-hans": {"en": "英文", "zh-hans": "中文"}}
    return names[lang][code]
