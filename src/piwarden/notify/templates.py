"""The registry of notice templates: one place where every kind of notice is declared.

A template names the fields it needs and holds its texts in both languages (``en``,
``zh-hans``) as Django template strings, rendered with the campaign's field values for the
language and a ``person`` context that holds no PI (the link to their messages). Texts are
rendered with autoescape off: e-mail and SMS are plain text, and pages escape on display.

    templates.register(Template("incident.art57", required=("cause", ...),
                                subject={"en": ..., "zh-hans": ...}, body={...}, sms={...}))
"""

from dataclasses import dataclass
from functools import lru_cache

from django.template import Context, Engine

from piwarden.errors import ServiceError

LANGUAGES = ("zh-hans", "en")


class TemplateError(ServiceError):
    def __init__(self, code: str, message: str, *, status: int = 422, detail=None):
        super().__init__(code, message, status=status, detail=detail)


@dataclass(frozen=True)
class Template:
    key: str
    required: tuple[str, ...]
    subject: dict
    body: dict
    sms: dict

    def __post_init__(self):
        for name in ("subject", "body", "sms"):
            texts = getattr(self, name)
            if set(texts) != set(LANGUAGES):
                raise ValueError(f"template {self.key}: {name} needs exactly {LANGUAGES}")


_templates: dict[str, Template] = {}


def register(template: Template) -> Template:
    """Declare a template (registering the same key again replaces it: app reloads)."""
    _templates[template.key] = template
    _compiled.cache_clear()
    return template


def get(key: str) -> Template:
    try:
        return _templates[key]
    except KeyError:
        raise TemplateError("TEMPLATE_UNKNOWN", f"No notice template '{key}' is registered.",
                            status=404) from None


def registered() -> list[str]:
    return sorted(_templates)


def missing(template: Template, fields: dict) -> list[str]:
    """The required fields empty in either language, as ``lang:name``."""
    return [f"{lang}:{name}" for lang in LANGUAGES for name in template.required
            if not str((fields.get(lang) or {}).get(name, "") or "").strip()]


@lru_cache(maxsize=256)
def _compiled(text: str):
    return _ENGINE.from_string(text)


_ENGINE = Engine(autoescape=False, builtins=["django.templatetags.i18n"])


def render(template: Template, fields: dict, lang: str, person: dict | None = None) -> dict:
    """``{"subject", "body", "sms"}`` in ``lang`` (``person``: context without PI)."""
    context = Context({**(fields.get(lang) or {}), "person": person or {}}, autoescape=False)
    return {part: _compiled(getattr(template, part)[lang]).render(context).strip()
            for part in ("subject", "body", "sms")}


GENERAL = Template(
    "notify.general", required=("title", "text"),
    subject={"en": "{{ title }}", "zh-hans": "{{ title }}"},
    body={"en": "{{ text }}\n\nYour messages: {{ person.messages_url }}",
          "zh-hans": "{{ text }}\n\n查看您的消息：{{ person.messages_url }}"},
    sms={"en": "{{ title }}: {{ text }}", "zh-hans": "{{ title }}：{{ text }}"})
