from piwarden.rights.models import RightsRequest


def requests_of(subject) -> list[RightsRequest]:
    return list(RightsRequest.objects.filter(subject=subject).order_by("-received_at"))


def request_of(subject, request_id) -> RightsRequest | None:
    """The request only when it belongs to ``subject`` (anything else is a 404)."""
    return RightsRequest.objects.filter(subject=subject, pk=request_id).first()
