"""Template helpers: name the actual handler of a purpose's service (D-1.1)."""

from django import template

from piwarden.consent.notices import language
from piwarden.sites.selectors import handler_for_purpose

register = template.Library()


@register.filter
def attr_name(handler, lang: str) -> str:
    return handler.name(lang)


@register.inclusion_tag("sites/provided_by.html")
def provided_by(purpose_key: str):
    handler = handler_for_purpose(purpose_key)
    return {"name": handler.name(language()), "contact": handler.contact}
