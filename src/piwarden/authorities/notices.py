"""The notice to the people whose data went to an authority (PIPL Art. 17-18; after an
emergency, Art. 18 para 2), sent through the notify engine: one template in both languages
and the audience of a request's provision (registered in ``apps.ready``). The texts name the
organ, the categories and the date, never a person's data."""

from django.utils import timezone

from piwarden.errors import ServiceError

TEMPLATE = "authorities.provided"
AUDIENCE = "authorities.provided"
CHANNELS = ["email", "sms", "site"]
REQUIRED = ("organ", "categories", "basis", "date", "contact")

_BODY_ZH = ("尊敬的用户：\n\n"
            "依据《中华人民共和国个人信息保护法》第十七条、第十八条，现告知您：我们已于"
            "{{ date }}向{{ organ }}提供了您的以下个人信息：{{ categories }}。\n\n"
            "提供的依据：{{ basis }}\n\n"
            "我们仅提供了法律文书要求且经法务审核的最少信息，并以加密方式交付。"
            "如有疑问，或希望行使您的权利，请联系：{{ contact }}")

_BODY_EN = """Dear user,

As Articles 17 and 18 of the Personal Information Protection Law of the PRC require, we
inform you that on {{ date }} we provided the following personal information of yours to
{{ organ }}: {{ categories }}.

Legal basis: {{ basis }}

We provided only the minimum that the legal document required and our legal team approved,
in an encrypted delivery. For questions, or to exercise your rights, contact: {{ contact }}"""


def fields_for(request) -> dict[str, dict[str, str]]:
    from piwarden.catalog.models import LegalBasis
    from piwarden.incidents.notices import category_names
    from piwarden.sites.selectors import default_handler

    names = category_names(request.categories)
    basis = LegalBasis.objects.get(key=request.legal_basis)
    handler = default_handler()
    day = timezone.localdate(request.decided_at or timezone.now())
    return {
        "zh-hans": {"organ": request.organ_name, "categories": "、".join(names["zh-hans"]),
                    "basis": f"{basis.name_zh}（{basis.article}）",
                    "date": f"{day.year}年{day.month}月{day.day}日",
                    "contact": f"{handler.name_zh}，{handler.contact}".strip("，")},
        "en": {"organ": request.organ_name, "categories": ", ".join(names["en"]),
               "basis": f"{basis.name_en} ({basis.article})", "date": day.isoformat(),
               "contact": f"{handler.name_en}, {handler.contact}".strip(", ")},
    }


def send(*, actor, request) -> str:
    """Create and start the notice campaign (in the caller's transaction); a large one waits
    for a second staff member's approval in the campaign console. Returns its id."""
    from piwarden.notify import services as notify

    campaign = notify.create_campaign(
        actor=actor, kind="other", template=TEMPLATE, fields=fields_for(request),
        audience=AUDIENCE, audience_params={"request": request.pk}, channels=CHANNELS,
        concerns=request, title=f"Provision to an authority #{request.pk}: notice")
    try:
        notify.start(actor=actor, campaign=campaign)
    except ServiceError as error:
        if error.code != "APPROVAL_REQUIRED":
            raise
    return str(campaign.pk)


def audience(params: dict):
    """The people a request's provision provided (never the confidential ones)."""
    from piwarden.authorities.models import AuthorityRequest
    from piwarden.sharing.models import Disclosure

    provision = AuthorityRequest.objects.filter(pk=int(params["request"])).values("provision")
    return (Disclosure.objects.filter(provision__in=provision, confidential=False)
            .order_by("subject_id").values_list("subject_id", flat=True))


def register() -> None:
    from piwarden.notify import audiences, templates

    templates.register(templates.Template(
        TEMPLATE, REQUIRED,
        subject={"en": "Your personal information was provided to an authority",
                 "zh-hans": "关于向国家机关提供您个人信息的告知"},
        body={"en": _BODY_EN, "zh-hans": _BODY_ZH},
        sms={"en": "Notice: on {{ date }} we provided your {{ categories }} to {{ organ }} "
                   "({{ basis }}). Questions: {{ contact }}",
             "zh-hans": "【告知】我们已于{{ date }}依法向{{ organ }}提供您的{{ categories }}"
                        "（{{ basis }}）。如有疑问请联系：{{ contact }}"}))
    audiences.register(AUDIENCE, audience)
