"""The gateway's guard for the flows to the competent authorities.

Nothing goes to an authority through the plain sharing API: a provision on one of these
flows must name (``context={"authority_request": pk}``) a request that two staff members
approved for that flow and that was not delivered yet, and only the people and categories the
legal review kept go. The request is marked delivered in the provision's own transaction, so
one approval never serves two deliveries.
"""

from piwarden.consent.erasure import covered
from piwarden.sharing import guards

CODE = "AUTHORITY_REQUEST_REQUIRED"


class AuthorityGuard(guards.Guard):
    key = "authorities.request"

    def applies(self, flow) -> bool:
        """Every flow to the authorities, not only those a request can name: one the
        catalog adds later provides nothing until a request workflow covers it."""
        from piwarden.authorities.selectors import AUTHORITY

        return flow.recipient == AUTHORITY

    def _request(self, batch: guards.Batch, *, lock: bool = False):
        from piwarden.authorities.models import AuthorityRequest

        pk = batch.context.get("authority_request")
        if not isinstance(pk, int):
            return None
        rows = AuthorityRequest.objects.select_for_update() if lock else \
            AuthorityRequest.objects
        return rows.filter(pk=pk, activity=batch.flow.activity).first()

    def before(self, batch: guards.Batch) -> None:
        from piwarden.authorities.models import State
        from piwarden.authorities.selectors import APPROVALS_NEEDED

        request = self._request(batch)
        if request is None or request.state != State.APPROVED or \
                not request.document_sha256 or \
                request.approvals.count() < APPROVALS_NEEDED:
            raise guards.Refused(CODE, "A provision to an authority needs a request from "
                                 "that authority, reviewed and approved by two staff "
                                 "members, not yet delivered.")
        outside = [c for c in batch.categories if not covered(c, set(request.categories))]
        if outside:
            raise guards.Refused("AUTHORITY_CATEGORIES_NOT_REVIEWED", "The legal review did "
                                 "not approve these categories: " + ", ".join(outside),
                                 categories=outside)

    def within(self, batch: guards.Batch, people, dropped):
        from django.utils import timezone

        from piwarden.authorities.models import State

        request = self._request(batch, lock=True)
        if request is None or request.state != State.APPROVED:
            dropped["authority_request_not_approved"] += len(people)
            return []
        reviewed = set(request.subjects)
        kept = [person for person in people if str(person) in reviewed]
        if len(kept) < len(people):
            dropped["not_in_legal_review"] += len(people) - len(kept)
        if kept:
            request.state, request.decided_at = State.DELIVERED, timezone.now()
            request.delivered_by = str(batch.actor)
            request.save(update_fields=["state", "decided_at", "delivered_by"])
        batch.results["authority_request"] = request.pk
        return kept
