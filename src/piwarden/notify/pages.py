"""What a person sees of a notice: its texts in the page's language, no internal code."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from piwarden.notify import services, templates
from piwarden.notify.models import Delivery


def language() -> str:
    return "zh-hans" if (translation.get_language() or "").startswith("zh") else "en"


def shown(delivery: Delivery) -> dict:
    """A delivery as a page shows it: title, text, China time, whether it asks for an
    acknowledgement (and was given one)."""
    campaign = delivery.campaign
    texts = templates.render(templates.get(campaign.template), campaign.fields, language(),
                             services._person_context())
    return {"id": delivery.pk, "title": texts["subject"], "body": texts["body"],
            "kind": campaign.get_kind_display(), "channel": delivery.get_channel_display(),
            "sent_at": timezone.localtime(delivery.created_at),
            "acknowledged_at": (timezone.localtime(delivery.acknowledged_at)
                                if delivery.acknowledged_at else None),
            "ask_ack": campaign.require_ack and delivery.acknowledged_at is None,
            "ack_label": _("I have read this")}
