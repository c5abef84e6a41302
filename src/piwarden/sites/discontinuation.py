"""The discontinuation notice (R-6.6) through the notify engine: its template, its audience
("sites.offering_users": everyone who activated the service or consented to its purposes),
and the campaign's field values in both languages."""

from django.db.models import Q

from piwarden.catalog.models import Purpose
from piwarden.errors import ServiceError
from piwarden.sites import ownership
from piwarden.sites.selectors import handler_for_function

TEMPLATE = "discontinuation"
AUDIENCE = "sites.offering_users"
CHANNELS = ["site", "email", "announcement"]
REQUIRED = ("service_name", "end_date", "data_fate", "contact")

_SUBJECT = {"en": "{{ service_name }} ends on {{ end_date }}",
            "zh-hans": "{{ service_name }}将于{{ end_date }}停止服务"}
_BODY = {
    "en": "We are ending the service \"{{ service_name }}\". From {{ end_date }} (China time) "
          "it is no longer available and we stop collecting personal information for it.\n\n"
          "Your data: {{ data_fate }}\n\nQuestions: {{ contact }}\n\n"
          "Your messages: {{ person.messages_url }}",
    "zh-hans": "我们将停止提供“{{ service_name }}”服务。自{{ end_date }}（北京时间）起，该服务不再"
               "提供，我们将停止为其收集个人信息。\n\n您的个人信息：{{ data_fate }}\n\n"
               "如有疑问，请联系：{{ contact }}\n\n查看您的消息：{{ person.messages_url }}",
}
_SMS = {"en": "{{ service_name }} ends on {{ end_date }}. Your data: {{ data_fate }}",
        "zh-hans": "{{ service_name }}将于{{ end_date }}停止服务。{{ data_fate }}"}


def register() -> None:
    """Declare the template and the audience (AppConfig.ready)."""
    from piwarden.notify import audiences, templates

    templates.register(templates.Template(TEMPLATE, required=REQUIRED, subject=_SUBJECT,
                                          body=_BODY, sms=_SMS))
    audiences.register(AUDIENCE, offering_users)


def offering_users(params: dict):
    """People who activated the function (accounts) or whose consent to one of its purposes
    is on record as granted: the people the service's end concerns."""
    from piwarden.subjects.models import Subject

    function = str(params.get("function", ""))
    purposes = ownership.functions().get(function, [])
    return Subject.objects.filter(
        Q(account__activations__service=function)
        | Q(consent_states__purpose__in=purposes, consent_states__choice="grant")
    ).values_list("pk", flat=True)


def fields(offering) -> dict[str, dict[str, str]]:
    """The notice's values in both languages: no internal code reaches a person."""
    owned = ownership.owned(offering.function)
    names = dict(Purpose.objects.filter(key__in=owned.purposes)
                 .values_list("key", "name_en"))
    names_zh = dict(Purpose.objects.filter(key__in=owned.purposes)
                    .values_list("key", "name_zh"))
    handler = handler_for_function(offering.function)
    day = offering.end_date
    used_en = ", ".join(names[p].lower() for p in owned.purposes if p in names) or "it"
    used_zh = "、".join(names_zh[p] for p in owned.purposes if p in names_zh) or "该服务"
    return {
        "en": {
            "service_name": offering.name_en,
            "end_date": day.strftime("%-d %B %Y"),
            "data_fate": f"the personal information we keep only for {used_en} is deleted "
                         "or anonymized after the end date; records a law obliges us to keep "
                         "stay until their legal retention ends; your consent records are "
                         "kept as evidence of your choices.",
            "contact": f"{handler.name_en}, {handler.contact}".strip(", "),
        },
        "zh-hans": {
            "service_name": offering.name_zh,
            "end_date": f"{day.year}年{day.month}月{day.day}日",
            "data_fate": f"仅为{used_zh}保存的个人信息将在停止服务后删除或匿名化处理；"
                         "法律要求保存的记录将保存至法定期限届满；"
                         "您的同意记录将作为您选择的证明予以保留。",
            "contact": f"{handler.name_zh}，{handler.contact}".strip("，"),
        },
    }


def create_campaign(*, actor, offering):
    from piwarden.notify import services as notify

    return notify.create_campaign(
        actor=actor, kind="discontinuation", template=TEMPLATE, fields=fields(offering),
        audience=AUDIENCE, audience_params={"function": offering.function}, channels=CHANNELS,
        concerns=offering, require_ack=False,
        title=f"Discontinuation: {offering.name_en} / {offering.name_zh}")


def start_campaign(*, actor, campaign_id: str) -> bool:
    """Start the campaign; False when it waits for a second staff member's approval (the
    recurring task tries again)."""
    from piwarden.notify import services as notify
    from piwarden.notify.models import Campaign

    campaign = Campaign.objects.get(pk=campaign_id)
    try:
        notify.start(actor=actor, campaign=campaign)
    except ServiceError as exc:
        if exc.code == "APPROVAL_REQUIRED":
            return False
        raise
    return True
