"""A request approved through the real steps, for tests elsewhere that provide to an
authority (the gateway refuses an authority flow without one):

    request = approved_request(people=[person], activity="disclosure.to_authorities",
                               categories=["user.name"], confidential=True)
    services.provide(..., context={"authority_request": request.pk})
"""

import uuid

from django.contrib.auth import get_user_model
from django.db import transaction

from piwarden.audit.actors import Actor

PDF = b"%PDF-1.4 court order"


def _staff(actor: Actor, name: str, *, legal: bool = False) -> Actor:
    from piwarden.roles import registry
    from tests.roles.factories import grant_role

    user = get_user_model().objects.create_user(f"{name}-{uuid.uuid4().hex[:8]}",
                                                is_staff=True)
    if legal:
        grant_role(user, registry.LEGAL, actor=actor)
    return Actor.staff(user)


def approved_request(*, people, activity: str = "sharing.legal_requests", categories=None,
                     confidential: bool = False, legal_basis: str = "legal_obligation"):
    from piwarden.authorities import selectors, services
    from piwarden.sharing.models import Flow

    system = Actor.system("tests")
    clerk, lawyer = _staff(system, "clerk"), _staff(system, "lawyer", legal=True)
    approvers = [_staff(system, "approver"), _staff(system, "approver")]
    flow = Flow.objects.get(activity=activity, recipient=selectors.AUTHORITY)
    categories = list(categories or flow.categories)
    ids = [str(getattr(p, "pk", p)) for p in people]
    with transaction.atomic():
        request = services.create_request(
            actor=clerk, organ_name="北京市公安局", organ_country="CN", organ_kind="police",
            document_reference="京公调 2026-1", legal_basis=legal_basis, activity=activity,
            justification="Tests.", confidential=confidential,
            confidentiality_reference="刑事诉讼法第五十四条" if confidential else "",
            subject_ids=ids, categories=categories)
        services.upload_document(actor=clerk, request=request, data=PDF)
        services.review(actor=lawyer, request=request, subject_ids=ids,
                        categories=categories, notes="Tests.")
        for approver in approvers:
            request = services.approve(actor=approver, request=request)
    return request
