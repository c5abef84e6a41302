"""The demo's story: a testimonial about the demo person, waiting for their consent (they
see it at /stories/mine/ and decide; nothing is published until they agree)."""

from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.publication import services
from piwarden.publication.models import PublishedItem


def set_up(*, actor: Actor, person) -> None:
    """Idempotent: one item for the demo person."""
    if person is None or PublishedItem.objects.filter(subject=person).exists():
        return
    with transaction.atomic():
        item = services.create_item(
            actor=actor, subject=person, kind="testimonial", title_zh="一位老客户的评价",
            title_en="A long-standing customer's view",
            body_zh="“隐私设置一目了然，申请导出数据十分钟就收到了。”",
            body_en="\u201cThe privacy settings are clear, and my data export arrived within "
                    "ten minutes.\u201d")
        services.request_consent(actor=actor, item=item)
