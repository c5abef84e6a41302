from piwarden.rights.models import RightsRequest


def requests_of(subject) -> list[RightsRequest]:
    return list(RightsRequest.objects.filter(subject=subject).order_by("-received_at"))


def request_of(subject, request_id) -> RightsRequest | None:
    """The request only when it belongs to ``subject`` (anything else is a 404)."""
    return RightsRequest.objects.filter(subject=subject, pk=request_id).first()


def pending_cancellation(subject) -> RightsRequest | None:
    """The account cancellation in its cooling-off period (still undoable), or None."""
    from piwarden.rights.models import RequestStatus, RequestType

    return RightsRequest.objects.filter(
        subject=subject, type=RequestType.CANCELLATION, status=RequestStatus.IN_PROGRESS,
        cancellation_started_at=None).order_by("-received_at").first()
