"""The outbox writes only inside the transaction of the action that sends the message (no
per-test transaction here: the check must see the real autocommit)."""

import pytest

from piwarden.outbox import services
from piwarden.outbox.models import Message
from piwarden.sharing.models import Counterparty


def test_enqueue_refuses_to_run_outside_a_transaction(committed_db, system_actor):
    with pytest.raises(services.OutboxError) as refused:
        services.enqueue(actor=system_actor, destination="https://sms.example.cn/hook",
                         payload={"type": "test"}, concerns=Counterparty(pk=1))
    assert refused.value.code == "NOT_IN_TRANSACTION"
    assert not Message.objects.exists()
