"""File exports by staff: request, approval by grade, the watermarked file (V-5.1a).

The grade of the highest category decides: an export with a sensitive (L4) category needs
approval by a privacy officer who is not the requester, and by two different ones when a
category has ``second_approver``; lower grades are approved at once. Either way the file is
built once, for the requester, carries a watermark naming them, and its audit record names
everyone in it.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.catalog.models import GRADE_LEVELS, DataCategory, Grade
from piwarden.exports import sources, watermark
from piwarden.exports.errors import ExportError
from piwarden.exports.models import Approval, FileExport, Status
from piwarden.roles import registry as roles
from piwarden.roles.selectors import has_role

_ORDER = list(GRADE_LEVELS)


def assess(categories) -> tuple[str, int]:
    """``(grade, approvals needed)`` for an export holding ``categories``."""
    rows = list(DataCategory.objects.filter(key__in=set(categories), retired=False))
    if len(rows) != len(set(categories)):
        raise ExportError("UNKNOWN_CATEGORY", _("The export names a category the catalog "
                                                "does not have."))
    if not rows:
        return Grade.PUBLIC, 0
    grade = max((row.grade for row in rows), key=_ORDER.index)
    if grade != Grade.SENSITIVE:
        return grade, 0
    return grade, 2 if any(row.second_approver for row in rows) else 1


@transaction.atomic
def request_export(*, actor: Actor, user, source: str, params: dict, reason: str) -> FileExport:
    """Ask for a file; approved at once unless its grade asks for approval."""
    reason = (reason or "").strip()
    if not reason:
        raise ExportError("REASON_REQUIRED", _("Say why the file is needed."), field="reason")
    categories = sorted(sources.get(source).categories(params))
    grade, needed = assess(categories)
    export = FileExport.objects.create(
        requested_by=user, source=source, params=params, categories=categories, grade=grade,
        approvals_needed=needed, reason=reason,
        status=Status.PENDING if needed else Status.APPROVED)
    audit.record(actor=actor, action="exports.requested", obj=export, categories=categories,
                 detail={"source": source, "grade": grade, "approvals_needed": needed})
    return export


def _locked(export: FileExport) -> FileExport:
    return FileExport.objects.select_for_update().get(pk=export.pk)


def _may_decide(user, export: FileExport) -> None:
    if user.pk == export.requested_by_id:
        raise ExportError("OWN_EXPORT", _("Someone other than the requester must decide."),
                          status=403)
    if not has_role(user, roles.PRIVACY_OFFICER):
        raise ExportError("NOT_PRIVACY_OFFICER", _("Only a privacy officer can decide on "
                                                   "an export of sensitive data."), status=403)
    if export.status != Status.PENDING:
        raise ExportError("NOT_PENDING", _("This export is not waiting for a decision."),
                          status=409)


@transaction.atomic
def approve(*, actor: Actor, user, export: FileExport) -> FileExport:
    export = _locked(export)
    _may_decide(user, export)
    if export.approvals.filter(approver=user).exists():
        raise ExportError("ALREADY_APPROVED", _("A second approver must be another person."),
                          status=409)
    Approval.objects.create(export=export, approver=user)
    given = export.approvals.count()
    if given >= export.approvals_needed:
        export.status = Status.APPROVED
        export.save(update_fields=["status"])
    audit.record(actor=actor, action="exports.approved", obj=export,
                 categories=export.categories,
                 detail={"approvals": given, "approvals_needed": export.approvals_needed})
    return export


@transaction.atomic
def refuse(*, actor: Actor, user, export: FileExport) -> FileExport:
    export = _locked(export)
    _may_decide(user, export)
    export.status = Status.REFUSED
    export.save(update_fields=["status"])
    audit.record(actor=actor, action="exports.refused", obj=export,
                 categories=export.categories)
    return export


@transaction.atomic
def download(*, actor: Actor, user, export: FileExport) -> tuple[str, str]:
    """``(file name, CSV text)``, once, for the requester of an approved export."""
    export = _locked(export)
    if user.pk != export.requested_by_id:
        raise ExportError("NOT_REQUESTER", _("Only the requester can download this file."),
                          status=403)
    if export.status != Status.APPROVED:
        raise ExportError("NOT_APPROVED", _("This file is not approved for download, or was "
                                            "downloaded already."), status=409)
    source = sources.get(export.source)
    # A catalog change since the request may have raised the grade: ask again then.
    if assess(source.categories(export.params))[1] > export.approvals_needed:
        raise ExportError("GRADE_CHANGED", _("The data's grade changed since the request; "
                                             "ask again."), status=409)
    table = source.build(export.params)
    now = timezone.now()
    text = watermark.csv_text(table, export_id=export.pk, username=user.get_username(),
                              at=now)
    export.status, export.downloaded_at = Status.DOWNLOADED, now
    export.save(update_fields=["status", "downloaded_at"])
    audit.record_read(actor=actor, action="exports.downloaded", subjects=table.subjects,
                      categories=export.categories, obj=export,
                      detail={"rows": len(table.rows), "grade": export.grade})
    return f"export-{export.pk}.csv", text
