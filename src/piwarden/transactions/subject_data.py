"""Corporate transactions in the subject-data registry: the transactions that list the person.

Export: each transaction's kind, the new holder, the policy version it is bound to, its status
and when it was exported (the notice itself is in ``notify.deliveries``, the provision in the
sharing register). Erase: nothing; the list is the record of who was told and whose data went
to the new holder (PIPL Art. 22), and holds subject ids only, never PI values. An erased person
is in no audience, so no later notice or export reaches them.
"""

from piwarden.audit.actors import Actor
from piwarden.subjects import registry
from piwarden.subjects.models import Subject
from piwarden.transactions.models import Audience, CorporateTransaction

NAME = "transactions.listed"
CATEGORY = "user.log.usage"


def _listing(subject: Subject) -> list[CorporateTransaction]:
    """Transactions are few: read the listed ones and look for the id."""
    wanted = str(subject.pk)
    return [tx for tx in CorporateTransaction.objects.filter(audience=Audience.LISTED)
            .order_by("created_at", "pk") if wanted in tx.subject_ids]


def export(subject: Subject) -> dict[str, list[dict]]:
    from piwarden.transactions.selectors import recipient

    holder = recipient()
    return {"corporate_transactions": [
        {"transaction": tx.pk, "kind": tx.kind, "status": tx.status,
         "new_holder": holder.legal_name if holder else tx.recipient,
         "policy_version": tx.policy_version_label, "exported_at": registry.iso(tx.exported_at)}
        for tx in _listing(subject)]}


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    if not _listing(subject):
        return registry.Erased()
    return registry.Erased(kept=[registry.Kept(
        category=CATEGORY, legal_basis="legal_obligation", until=None,
        reason="The record of who was told of a merger or sale and whose data went to the new "
               "holder (PIPL Art. 22); it holds ids, never PI values.")])


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(CorporateTransaction,),
                                      categories=(CATEGORY,), export=export, erase=erase))
