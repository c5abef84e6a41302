"""The demo's overseas recipient (Hong Kong): a filed standard contract, so its flow can be
activated and the demo person sees the separate consent with the Art. 39 notice."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.sharing.models import Flow
from piwarden.transfers import services
from piwarden.transfers.models import TransferRecord

FLOW = ("crossborder.overseas_transfer", "third_party.overseas")


def set_up(*, actor: Actor) -> None:
    """Idempotent: the record is made once."""
    flow = Flow.objects.get(activity=FLOW[0], recipient=FLOW[1])
    if TransferRecord.objects.filter(flow=flow).exists():
        return
    today = timezone.localdate()
    with transaction.atomic():
        record = services.create_record(
            actor=actor, flow=flow, mechanism="standard_contract", important_data="none",
            reference="SCC-DEMO-2026-001", effective_on=today - timedelta(days=3),
            recipient_obligations="Process only for the cross-border service; delete within "
                                  "15 days of the end; answer rights requests within 15 days.",
            notice_zh="您可发送电子邮件至 privacy@overseas.example.hk，向境外接收方行使查阅、复制、"
                      "更正、删除等权利；如对方未予答复，请联系我们协助处理。",
            notice_en="E-mail privacy@overseas.example.hk to access, copy, correct or delete "
                      "your data held by the overseas recipient; if it does not answer, "
                      "contact us and we will help.")
        services.record_filing(actor=actor, record=record, reference="SCC-DEMO-2026-001",
                               filed_on=today)
