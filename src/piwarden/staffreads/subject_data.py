"""A person's unmask requests in the rights registry: the person sees which of their sensitive
values staff asked to see, for what purpose and whether it was granted (never who, nor the
value); an erasure of the category removes the requests."""

from piwarden.audit import services as audit
from piwarden.staffreads.models import UnmaskRequest
from piwarden.subjects.registry import Erased, Source, iso


def _covered(category: str, categories) -> bool:
    return categories is None or any(category == c or category.startswith(c + ".")
                                     for c in categories)


def export(subject) -> dict[str, list[dict]]:
    return {"staff_unmask_requests": [
        {"category": row.category, "purpose": row.purpose, "status": row.status,
         "requested_at": iso(row.created_at), "decided_at": iso(row.decided_at),
         "window_ends_at": iso(row.expires_at)}
        for row in UnmaskRequest.objects.filter(subject=subject).order_by("created_at")]}


def erase(*, actor, subject, categories) -> Erased:
    rows = [row for row in UnmaskRequest.objects.filter(subject=subject)
            if _covered(row.category, categories)]
    if not rows:
        return Erased()
    UnmaskRequest.objects.filter(pk__in=[row.pk for row in rows]).delete()
    audit.record(actor=actor, action="staff.unmask_requests_erased", subject=subject,
                 categories=sorted({row.category for row in rows}),
                 detail={"requests": len(rows)})
    return Erased(erased=len(rows))


SOURCE = Source(name="staffreads.unmask_requests", models=(UnmaskRequest,),
                categories=("user",), export=export, erase=erase)
