"""Reads the workflow, the console and the guard share: the basis picker, the flows."""

from piwarden.catalog.models import LegalBasis
from piwarden.errors import ServiceError

AUTHORITY = "authority.competent"
LEGAL_REQUESTS = "sharing.legal_requests"
EMERGENCY_ACTIVITY = "sharing.vital_interests"
ACTIVITIES = ("disclosure.to_authorities", LEGAL_REQUESTS, EMERGENCY_ACTIVITY)
# PIPL Art. 13(3) (a legal duty) and 13(4) (an emergency): nothing else, no "company interest".
PIPL_ITEMS = (3, 4)
EMERGENCY_ITEM = 4
APPROVALS_NEEDED = 2


def basis_choices():
    """The bases a request may rest on: the catalog's Art. 13(3) and 13(4) items."""
    return LegalBasis.objects.filter(pipl_13__in=PIPL_ITEMS, retired=False).order_by(
        "position")


def is_emergency(basis_key: str) -> bool:
    return LegalBasis.objects.filter(key=basis_key, pipl_13=EMERGENCY_ITEM).exists()


def flow_for(request):
    """The flow of the request's activity to the competent authorities."""
    from piwarden.sharing.models import Flow

    flow = Flow.objects.filter(activity=request.activity, recipient=AUTHORITY).first()
    if flow is None:
        raise ServiceError("FLOW_MISSING", "The catalog's flow to the competent authorities "
                           "is missing: load the catalog.", status=409)
    return flow
