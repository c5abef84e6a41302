"""The engine's own records in the registry: the person's earlier exports and erasure runs.

Erase deletes the export archives (rows and encrypted files); erasure runs stay: each holds
the deletion certificate, the proof that a request was carried out.
"""

from django.db import transaction
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.subjectdata import archive as files
from piwarden.subjectdata.models import ArchiveStatus, ErasureRun, ExportArchive
from piwarden.subjects import registry
from piwarden.subjects.models import Subject
from piwarden.subjects.registry import iso

NAME = "subjectdata.requests"



def export(subject: Subject) -> dict[str, list[dict]]:
    return {
        "exports": [{"id": str(a.pk), "status": a.status, "created_at": iso(a.created_at),
                     "ready_at": iso(a.ready_at), "expires_at": iso(a.expires_at),
                     "downloads": a.downloads}
                    for a in ExportArchive.objects.filter(subject=subject)
                    .order_by("created_at")],
        "erasure_runs": [{"id": str(r.pk), "status": r.status,
                          "categories": "all" if r.categories is None
                          else " ".join(r.categories),
                          "created_at": iso(r.created_at), "done_at": iso(r.done_at)}
                         for r in ErasureRun.objects.filter(subject=subject)
                         .order_by("created_at")],
    }


def erase(*, actor: Actor, subject: Subject, categories: set[str] | None) -> registry.Erased:
    from piwarden.consent.erasure import covered
    from piwarden.subjectdata.services import retention_until

    result = registry.Erased()
    if categories is not None and not covered("user.rights_request", categories):
        return result
    ids = list(ExportArchive.objects.filter(subject=subject).values_list("pk", flat=True))
    result.erased = ExportArchive.objects.filter(pk__in=ids).delete()[0]
    transaction.on_commit(lambda: [files.file_path(pk).unlink(missing_ok=True) for pk in ids])
    result.kept.append(registry.Kept(
        category="user.rights_request", legal_basis="legal_obligation",
        until=retention_until("rights.request_handling"),
        reason="The record of each erasure and its certificate prove the request was carried "
               "out; they hold no personal information."))
    return result


def _due_exports(*, before) -> int:
    return ExportArchive.objects.filter(status=ArchiveStatus.READY,
                                        expires_at__lte=timezone.now()).count()


def _expire_exports(*, actor: Actor, before, limit: int) -> int:
    from piwarden.subjectdata import services

    return services.expire_exports(actor=actor)


def register() -> None:
    registry.register(registry.Source(name=NAME, models=(ExportArchive, ErasureRun),
                                      categories=("user.rights_request",), export=export,
                                      erase=erase))
    # The hourly retention run deletes exports past their own expiry (PIWARDEN_EXPORT_DAYS);
    # the catalog activity's period only makes the kind a time-based one.
    registry.register_retention(registry.Retention(
        name="subjectdata.exports", activity="rights.access_copy", due=_due_exports,
        expire=_expire_exports))
