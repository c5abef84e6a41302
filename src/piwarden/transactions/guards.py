"""The gateway guard of the corporate-transaction flow (PIPL Art. 22).

Whoever asks the gateway for this flow (the transaction's export, the plain sharing API, a
script) gets nothing unless the context names a transaction whose notices are complete, whose
new holder's undertaking is recorded and whose processing was not changed; and then only the
people the notices reached. The provision that gives anyone to the new holder marks the
transaction exported in its own database transaction.
"""

from django.utils import timezone

from piwarden.sharing import guards
from piwarden.transactions import selectors
from piwarden.transactions.models import (
    ACTIVITY,
    RECIPIENT,
    CorporateTransaction,
    Status,
)


class TransactionGuard(guards.Guard):
    key = "transactions.art22"

    def applies(self, flow) -> bool:
        return flow.activity == ACTIVITY and flow.recipient == RECIPIENT

    def problems(self, flow) -> list[guards.Problem]:
        """The gateway lets a cross-border flow through only when a guard governs it; this
        guard does not stand in for the cross-border controls (PIPL Art. 38-40)."""
        if flow.cross_border and guards.for_flow(flow) == [self]:
            return [guards.Problem("CROSS_BORDER_CONTROLS_MISSING", "The new holder is "
                                   "outside mainland China: the cross-border controls must "
                                   "govern this flow too.")]
        return []

    def before(self, batch: guards.Batch) -> None:
        transaction = self._transaction(batch)
        if transaction.status in (Status.CANCELLED, Status.EXPORTED):
            raise guards.Refused("TRANSACTION_CLOSED", "This transaction is "
                                 f"{transaction.status}; nothing more goes out under it.",
                                 status=409, transaction=transaction.pk)
        if transaction.processing_change:
            raise guards.Refused("RECONSENT_REQUIRED", "The new holder changes the purpose or "
                                 "method of processing: new consent is needed first (PIPL "
                                 "Art. 22).", transaction=transaction.pk)
        if not selectors.notices_complete(transaction) or not transaction.undertaking_recorded:
            raise guards.Refused("TRANSACTION_NOTICES_INCOMPLETE", "The notices to the "
                                 "affected people are not complete, or the new holder's "
                                 "undertaking is not recorded.", status=409,
                                 transaction=transaction.pk)
        batch.results["transaction"] = transaction.pk

    def within(self, batch, people, dropped):
        """Inside the provision's transaction: the row lock makes a second, concurrent export
        of the same transaction wait and then find it exported (it provides nobody)."""
        transaction = CorporateTransaction.objects.select_for_update().get(
            pk=self._transaction(batch).pk)
        if transaction.status in (Status.CANCELLED, Status.EXPORTED):
            dropped["transaction_closed"] += len(people)
            return []
        reached = selectors.reached_ids(transaction)
        kept = [person for person in people if person in reached]
        if len(kept) < len(people):
            dropped["not_notified"] += len(people) - len(kept)
        if kept:
            transaction.status, transaction.exported_at = Status.EXPORTED, timezone.now()
            transaction.save(update_fields=["status", "exported_at"])
        return kept

    @staticmethod
    def _transaction(batch: guards.Batch) -> CorporateTransaction:
        try:
            return CorporateTransaction.objects.get(pk=int(batch.context["transaction"]))
        except (KeyError, TypeError, ValueError, CorporateTransaction.DoesNotExist):
            raise guards.Refused("TRANSACTION_REQUIRED", "Data goes to the new holder only "
                                 "under a recorded corporate transaction.") from None
