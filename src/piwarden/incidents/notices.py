"""The incident's notices in the notify engine: the Art. 57 template, the progress-update
template and the audience of the people an incident concerns (registered in ``apps.ready``).

The texts hold the incident's elements only (never a person's data): PIPL Art. 57 para 1
and GB/T 35273 10.2 name what a notice must say, and each is a required field, so the engine
refuses to send a notice with one left empty in either language.
"""

from piwarden.incidents.models import AffectedPerson

TEMPLATE = "incident.art57"
PROGRESS_TEMPLATE = "incident.progress"
AUDIENCE = "incident.affected"
REQUIRED = ("categories", "cause", "harm", "measures", "advice", "remedies", "contact")

_BODY_ZH = """尊敬的用户：

我们发现了一起可能涉及您个人信息的安全事件。依据《中华人民共和国个人信息保护法》第五十七条，现将有关情况告知如下：

一、涉及的个人信息种类：{{ categories }}
二、事件发生的原因：{{ cause }}
三、可能造成的危害：{{ harm }}
四、我们已采取的补救措施：{{ measures }}
五、您可以采取的减轻危害的措施：{{ advice }}
六、补救与救济途径：{{ remedies }}
七、个人信息处理者的联系方式：{{ contact }}

我们将持续向您告知事件的处置进展。"""

_BODY_EN = """Dear user,

We have found a security incident that may concern your personal information. As Article 57
of the Personal Information Protection Law of the PRC requires, we inform you as follows:

1. Personal information concerned: {{ categories }}
2. Cause of the incident: {{ cause }}
3. Possible harm: {{ harm }}
4. Measures we have taken: {{ measures }}
5. What you can do to reduce the harm: {{ advice }}
6. Remedies available to you: {{ remedies }}
7. How to contact us: {{ contact }}

We will keep you informed of how the incident is handled."""

_SMS_ZH = ("【安全事件告知】您的个人信息（{{ categories }}）可能受到安全事件影响。"
           "建议：{{ advice }} 详情请联系：{{ contact }}")
_SMS_EN = ("Security notice: your personal information ({{ categories }}) may be affected by an "
           "incident. What you can do: {{ advice }} Contact: {{ contact }}")

_PROGRESS_ZH = """尊敬的用户：

关于此前告知您的个人信息安全事件，现将最新处置进展告知如下：

{{ update }}

如有疑问，请联系：{{ contact }}"""

_PROGRESS_EN = """Dear user,

An update on the personal information security incident we told you about:

{{ update }}

Questions: {{ contact }}"""


FIELDS = {"cause": "cause", "harm": "possible_harm", "measures": "measures_taken",
          "advice": "advice", "remedies": "remedies", "contact": "contact"}


def category_names(keys) -> dict[str, list[str]]:
    """The catalog's words for these categories, per language (a key it lacks stays a key)."""
    from piwarden.catalog.models import DataCategory

    known = {c.key: c for c in DataCategory.objects.filter(key__in=list(keys))}
    keys = sorted(keys)
    return {"en": [known[k].name_en if k in known else k for k in keys],
            "zh-hans": [known[k].name_zh if k in known else k for k in keys]}


def fields_for(incident) -> dict[str, dict[str, str]]:
    """The Art. 57 template's fields from the incident: Chinese from the controlling fields,
    English from the ``_en`` ones."""
    names = category_names(incident.category_counts)
    return {
        "zh-hans": {"categories": "、".join(names["zh-hans"]),
                    **{name: getattr(incident, attr).strip() for name, attr in FIELDS.items()}},
        "en": {"categories": ", ".join(names["en"]),
               **{name: getattr(incident, f"{attr}_en").strip()
                  for name, attr in FIELDS.items()}},
    }


def audience(params: dict):
    """The people an incident concerns, as the scoping found them (a streamed id list)."""
    return (AffectedPerson.objects.filter(incident_id=int(params["incident"]))
            .order_by("subject_id").values_list("subject_id", flat=True))


def register() -> None:
    from piwarden.notify import audiences, templates

    templates.register(templates.Template(
        TEMPLATE, REQUIRED,
        subject={"en": "Notice of a personal information security incident",
                 "zh-hans": "个人信息安全事件告知"},
        body={"en": _BODY_EN, "zh-hans": _BODY_ZH},
        sms={"en": _SMS_EN, "zh-hans": _SMS_ZH}))
    templates.register(templates.Template(
        PROGRESS_TEMPLATE, ("update", "contact"),
        subject={"en": "Update on the personal information security incident",
                 "zh-hans": "个人信息安全事件处置进展"},
        body={"en": _PROGRESS_EN, "zh-hans": _PROGRESS_ZH},
        sms={"en": "Incident update: {{ update }} Contact: {{ contact }}",
             "zh-hans": "【事件进展】{{ update }} 联系方式：{{ contact }}"}))
    audiences.register(AUDIENCE, audience)
