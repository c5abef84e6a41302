"""The export and erasure engine behind rights requests (issue 6, items 4-6).

Both walk the subject-data registry (``subjects.registry``): an export asks every registered
source for its tables; an erasure asks every source to erase, one source per transaction, with
the run's progress saved in the same transaction, so a worker killed halfway resumes where it
stopped and no source runs twice. Which app calls this (the ``rights`` workflow, staff, a
command) is the caller's business; ``on_done`` tells it when a result is there.
"""

import datetime
import hashlib
import logging
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from piwarden import metrics
from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.audit.models import Outcome
from piwarden.catalog.models import DataCategory, ProcessingActivity
from piwarden.jobs.services import enqueue_with_caller
from piwarden.subjectdata import archive as files
from piwarden.subjectdata.models import (
    ArchiveStatus,
    CertificateLink,
    ErasureRun,
    ExportArchive,
    RunStatus,
)
from piwarden.subjects import registry
from piwarden.subjects.models import Subject, SubjectStatus
from piwarden.subjects.services import change_status
from piwarden.vault import services as vault

log = logging.getLogger(__name__)

PURPOSE = "rights.requests"
BASIS = "legal_obligation"
ENGINE = Actor.system("subjectdata.engine")

_callbacks: list[Callable] = []


class SubjectDataError(ValueError):
    """A request the engine refuses (unknown categories, nothing to erase for)."""


def on_done(callback: Callable) -> None:
    """Register ``callback(kind, obj)``, called on commit when an archive is ready ("export")
    or a run is done ("erasure")."""
    if callback not in _callbacks:
        _callbacks.append(callback)


def _notify(kind: str, obj) -> None:
    # robust: a failing listener is logged and cannot make a finished run look failed.
    for callback in list(_callbacks):
        transaction.on_commit(lambda cb=callback: cb(kind, obj), robust=True)


def export_days() -> int:
    return settings.PIWARDEN_EXPORT_DAYS


def retention_until(activity: str, start: datetime.date | None = None) -> datetime.date | None:
    """The end of a catalog activity's ISO-8601 retention (``P3Y``, ``P180D``) from ``start``;
    None for named rules (``legal_hold``) or an unknown activity."""
    value = (ProcessingActivity.objects.filter(key=activity)
             .values_list("retention", flat=True).first()) or ""
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?", value)
    if not match or not any(match.groups()):
        return None
    years, months, days = (int(g or 0) for g in match.groups())
    start = start or timezone.localdate()
    month_index = start.month - 1 + months
    year, month = start.year + years + month_index // 12, month_index % 12 + 1
    try:
        shifted = start.replace(year=year, month=month)
    except ValueError:  # 29 February, or the 31st of a shorter month
        shifted = start.replace(year=year, month=month, day=28)
    return shifted + datetime.timedelta(days=days)


def _all_categories() -> list[str]:
    return sorted({c for source in registry.sources() for c in source.categories})


# --- export ------------------------------------------------------------------------------

@transaction.atomic
def start_export(*, actor: Actor, subject: Subject, lang: str = "en",
                 request_ref: str = "") -> ExportArchive:
    """Create an ExportArchive (status "pending") and enqueue its build on commit."""
    lang = "zh-hans" if lang.lower().startswith("zh") else "en"
    archive = ExportArchive.objects.create(subject=subject, lang=lang,
                                           request_ref=request_ref[:64])
    audit.record(actor=actor, action="subjectdata.export_started", subject=subject, obj=archive,
                 categories=_all_categories(), purpose=PURPOSE, legal_basis=BASIS,
                 detail={"lang": lang, "request_ref": archive.request_ref})
    from piwarden.subjectdata.tasks import build_export_task

    enqueue_with_caller(build_export_task, str(archive.pk))
    return archive


def collect(subject: Subject) -> dict[str, dict[str, list[dict]]]:
    """Every registered source's tables about the subject (PI decrypted)."""
    return {source.name: source.export(subject) for source in registry.sources()}


def build_export(*, archive_id) -> ExportArchive:
    """Build, encrypt and store the ZIP of a pending archive; rerunnable (a ready, expired or
    failed archive is returned as it is)."""
    archive = ExportArchive.objects.select_related("subject").get(pk=archive_id)
    if archive.status != ArchiveStatus.PENDING:
        return archive
    try:
        data = collect(archive.subject)
        content = files.build_zip(subject_id=archive.subject_id, lang=archive.lang, data=data)
        raw_key, master_version, wrapped = files.new_key(archive.pk)
        archive.master_version, archive.wrapped_key = master_version, wrapped
        partial = files.write_encrypted(archive, raw_key, content)
    except Exception as error:
        _fail(archive, error)
        raise
    with transaction.atomic():
        locked = ExportArchive.objects.select_for_update().get(pk=archive.pk)
        if locked.status != ArchiveStatus.PENDING:  # another worker finished it meanwhile
            partial.unlink(missing_ok=True)
            return locked
        partial.replace(files.file_path(locked.pk))
        now = timezone.now()
        locked.status, locked.ready_at = ArchiveStatus.READY, now
        locked.expires_at = now + datetime.timedelta(days=export_days())
        locked.master_version, locked.wrapped_key = master_version, wrapped
        locked.size = len(content)
        locked.sources = {name: sum(len(rows) for rows in tables.values())
                          for name, tables in data.items()}
        locked.save(update_fields=["status", "ready_at", "expires_at", "master_version",
                                   "wrapped_key", "size", "sources"])
        audit.record(actor=ENGINE, action="subjectdata.export_built", subject=locked.subject,
                     obj=locked, categories=_all_categories(), purpose=PURPOSE,
                     legal_basis=BASIS,
                     detail={"rows": locked.sources, "bytes": locked.size,
                             "expires_at": locked.expires_at.isoformat()})
        _notify("export", locked)
    return locked


def _fail(archive: ExportArchive, error: Exception) -> None:
    """Mark the archive failed (the error's class only: messages may quote data)."""
    files.file_path(archive.pk).unlink(missing_ok=True)
    with transaction.atomic():
        updated = ExportArchive.objects.filter(pk=archive.pk, status=ArchiveStatus.PENDING) \
            .update(status=ArchiveStatus.FAILED)
        if updated:
            audit.record(actor=ENGINE, action="subjectdata.export_failed",
                         subject=archive.subject, obj=archive, purpose=PURPOSE,
                         outcome=Outcome.FAILED, detail={"error": type(error).__name__})
    log.error("export %s failed: %s", archive.pk, type(error).__name__)


def open_archive(*, actor: Actor, archive: ExportArchive) -> bytes:
    """The ZIP's bytes for a download: counted and audited in one transaction."""
    with transaction.atomic():
        locked = ExportArchive.objects.select_for_update().get(pk=archive.pk)
        if locked.status != ArchiveStatus.READY or locked.expires_at <= timezone.now():
            raise SubjectDataError("the archive is not available")
        try:
            content = files.read_decrypted(locked)
        except FileNotFoundError:
            raise SubjectDataError("the archive's file is gone") from None
        ExportArchive.objects.filter(pk=locked.pk).update(downloads=F("downloads") + 1)
        audit.record(actor=actor, action="subjectdata.export_downloaded", subject=locked.subject,
                     obj=locked, categories=_all_categories(), purpose=PURPOSE,
                     legal_basis=BASIS, detail={"download": locked.downloads + 1})
    return content


def expire_exports(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Delete the files of archives past their expiry (and stray files); returns how many."""
    now = now or timezone.now()
    count = 0
    for pk in list(ExportArchive.objects.filter(status=ArchiveStatus.READY, expires_at__lte=now)
                   .values_list("pk", flat=True)):
        with transaction.atomic():
            archive = ExportArchive.objects.select_for_update().get(pk=pk)
            if archive.status != ArchiveStatus.READY:
                continue
            archive.status, archive.wrapped_key = ArchiveStatus.EXPIRED, None
            archive.save(update_fields=["status", "wrapped_key"])
            audit.record(actor=actor, action="subjectdata.export_expired",
                         subject=archive.subject, obj=archive, purpose=PURPOSE,
                         legal_basis=BASIS, detail={"downloads": archive.downloads})
            transaction.on_commit(lambda pk=pk: files.file_path(pk).unlink(missing_ok=True))
            count += 1
    live = {str(pk) for pk in ExportArchive.objects.filter(
        status__in=[ArchiveStatus.PENDING, ArchiveStatus.READY]).values_list("pk", flat=True)}
    for path in files.export_dir().glob("*.zip.enc"):
        if path.name.removesuffix(".zip.enc") not in live:
            path.unlink(missing_ok=True)
    stale = (now - datetime.timedelta(hours=1)).timestamp()
    for path in files.export_dir().glob("*.part"):  # left by a worker killed mid-build
        if path.stat().st_mtime < stale:
            path.unlink(missing_ok=True)
    purge_certificate_links(actor=actor, now=now)
    return count


# --- erasure -----------------------------------------------------------------------------

@transaction.atomic
def start_erasure(*, actor: Actor, subject: Subject, categories: list[str] | None,
                  reason: str, request_ref: str = "") -> ErasureRun:
    """Create an ErasureRun (status "pending") and enqueue it on commit.

    ``categories`` None erases all of the subject's data: the vault key is shredded at the end
    and the subject's status becomes "erased".
    """
    if not reason.strip():
        raise SubjectDataError("an erasure needs a reason")
    if categories is not None:
        categories = sorted(set(categories))
        known = set(DataCategory.objects.filter(key__in=categories).values_list("key", flat=True))
        if not categories or set(categories) - known:
            raise SubjectDataError(f"unknown categories: {sorted(set(categories) - known)}")
    run = ErasureRun.objects.create(subject=subject, categories=categories,
                                    reason=reason.strip()[:300], request_ref=request_ref[:64])
    audit.record(actor=actor, action="subjectdata.erasure_started", subject=subject, obj=run,
                 categories=categories if categories is not None else _all_categories(),
                 purpose=PURPOSE, legal_basis=BASIS,
                 detail={"all": categories is None, "reason": run.reason,
                         "request_ref": run.request_ref})
    from piwarden.subjectdata.tasks import run_erasure_task

    enqueue_with_caller(run_erasure_task, str(run.pk))
    return run


def run_erasure(*, run_id) -> ErasureRun:
    """Erase source by source, each in its own transaction with its progress; resumable.
    The sources that identify the person go last, so the others can still find what they
    hold (for example partner records matching the account's verified phone)."""
    for source in sorted(registry.sources(), key=lambda source: source.identifies):
        _erase_source(run_id, source)
    return _finish(run_id)


def _erase_source(run_id, source: registry.Source) -> None:
    with transaction.atomic():
        run = ErasureRun.objects.select_for_update().select_related("subject").get(pk=run_id)
        if run.status == RunStatus.DONE or source.name in run.progress:
            return
        categories = set(run.categories) if run.categories is not None else None
        result = source.erase(actor=ENGINE, subject=run.subject, categories=categories)
        run.progress = {**run.progress, source.name: result.as_json()}
        run.status = RunStatus.RUNNING
        run.save(update_fields=["progress", "status"])
        audit.record(actor=ENGINE, action="subjectdata.source_erased", subject=run.subject,
                     obj=run, categories=source.categories, purpose=PURPOSE, legal_basis=BASIS,
                     detail={"source": source.name, "erased": result.erased,
                             "anonymized": result.anonymized, "kept": len(result.kept)})


def _finish(run_id) -> ErasureRun:
    with transaction.atomic():
        run = ErasureRun.objects.select_for_update().select_related("subject").get(pk=run_id)
        if run.status == RunStatus.DONE:
            return run
        subject, everything = run.subject, run.categories is None
        if everything:
            vault.shred(actor=ENGINE, subject=subject, reason=f"erasure run {run.pk}")
            if subject.status != SubjectStatus.ERASED:
                change_status(actor=ENGINE, subject=subject, status=SubjectStatus.ERASED,
                              reason=f"erasure run {run.pk}")
        now = timezone.now()
        run.status, run.done_at = RunStatus.DONE, now
        run.certificate = certificate(run, completed_at=now, key_destroyed=everything)
        run.save(update_fields=["status", "done_at", "certificate"])
        audit.record(actor=ENGINE, action="subjectdata.erasure_done", subject=subject, obj=run,
                     categories=run.categories if not everything else _all_categories(),
                     purpose=PURPOSE, legal_basis=BASIS,
                     detail={"sources": sorted(run.progress),
                             "kept": len(run.certificate["kept"]),
                             "vault_key_destroyed": everything})
        _notify("erasure", run)
        transaction.on_commit(metrics.ERASURES.inc)
    return run


def retire_emptied(*, actor: Actor, erased_for: Subject, subjects, model) -> registry.Erased:
    """Finish the other subjects whose records an erasure of ``erased_for`` took (an account
    holder's claimed or matched lead, campaign contact or partner-supplied person) once no
    ``model`` row of theirs is left: every source erases what it still holds for them (their
    consent ledger is detached, a request they filed is cleared), then their data key is
    shredded and their status becomes ``erased``, as a run of their own would end. Runs in
    the caller's transaction, so a rerun of the calling source finds nothing half-done."""
    others = {subject.pk: subject for subject in subjects if subject.pk != erased_for.pk}
    # Locked first (as a new lead or import for them locks them): no row can be added to a
    # subject between "none left" and its retirement.
    list(Subject.objects.select_for_update(no_key=True).filter(pk__in=others).values("pk"))
    left = set(model.objects.filter(subject_id__in=others).values_list("subject_id", flat=True))
    reason = f"records erased with subject {erased_for.pk}"
    result = registry.Erased()
    for subject_id in sorted(set(others) - left):
        subject = others[subject_id]
        for source in sorted(registry.sources(), key=lambda source: source.identifies):
            part = source.erase(actor=actor, subject=subject, categories=None)
            result.erased += part.erased
            result.anonymized += part.anonymized
            result.kept += [kept for kept in part.kept if kept not in result.kept]
        vault.shred(actor=actor, subject=subject, reason=reason)
        if subject.status != SubjectStatus.ERASED:
            change_status(actor=actor, subject=subject, status=SubjectStatus.ERASED,
                          reason=reason)
    return result


def certificate(run: ErasureRun, *, completed_at: datetime.datetime,
                key_destroyed: bool) -> dict:
    """The deletion certificate: what went, what is kept under which basis, until when."""
    erased, kept = [], []
    for name in sorted(run.progress):
        outcome = run.progress[name]
        erased.append({"source": name, "erased": outcome["erased"],
                       "anonymized": outcome["anonymized"]})
        kept.extend({"source": name, **item} for item in outcome["kept"])
    return {"run": str(run.pk), "subject": str(run.subject_id),
            "categories": run.categories, "completed_at": completed_at.isoformat(),
            "erased": erased, "kept": kept, "vault_key_destroyed": key_destroyed}


@transaction.atomic
def set_certificate_recipients(*, actor: Actor, run_id, recipients: list[dict]) -> ErasureRun:
    """The recipients asked to delete the person's data (``sharing.propagation``): written into
    a finished run's certificate, and rewritten as their confirmations arrive. The run never
    waits for them: the certificate is issued when our own stores are done."""
    run = ErasureRun.objects.select_for_update().select_related("subject").get(pk=run_id)
    if run.status != RunStatus.DONE:
        raise SubjectDataError("the erasure is not done")
    run.certificate = {**run.certificate, "recipients": recipients}
    run.save(update_fields=["certificate"])
    audit.record(actor=actor, action="subjectdata.certificate_amended", subject=run.subject,
                 obj=run, purpose=PURPOSE, legal_basis=BASIS,
                 detail={"recipients": {item["recipient"]: "confirmed" if item["confirmed_on"]
                                        else "asked" for item in recipients}})
    return run


@transaction.atomic
def certificate_viewed(*, actor: Actor, run: ErasureRun) -> None:
    audit.record(actor=actor, action="subjectdata.certificate_viewed", subject=run.subject,
                 obj=run, purpose=PURPOSE, legal_basis=BASIS, detail={"run": str(run.pk)})


# --- the certificate link that works without an account (issue 17 point 11) ----------------

LINK_DAYS = 90


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_certificate_link(*, actor: Actor, run: ErasureRun) -> str:
    """A new unguessable token for ``run``'s certificate, valid ``LINK_DAYS`` days; returns the
    path to put in the e-mail. Only the token's hash is stored; the path names no person."""
    token = secrets.token_urlsafe(32)
    link = CertificateLink.objects.create(
        run=run, token_hash=_token_hash(token),
        expires_at=timezone.now() + datetime.timedelta(days=LINK_DAYS))
    audit.record(actor=actor, action="subjectdata.certificate_link_issued", subject=run.subject,
                 obj=run, purpose=PURPOSE, legal_basis=BASIS,
                 detail={"link": str(link.pk), "expires_at": link.expires_at.isoformat()})
    from django.urls import reverse

    return reverse("subjectdata:certificate_link", args=[token])


def run_for_token(token: str, *, now: datetime.datetime | None = None
                  ) -> tuple[ErasureRun | None, bool]:
    """(run, expired) for a certificate link's token: (None, False) when no link has it,
    (None, True) when it expired; the run otherwise."""
    link = (CertificateLink.objects.select_related("run", "run__subject")
            .filter(token_hash=_token_hash(token or "")).first())
    if link is None:
        return None, False
    if link.expires_at <= (now or timezone.now()):
        return None, True
    return link.run, False


@transaction.atomic
def purge_certificate_links(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Delete the links that expired (their hashes are of no use any more)."""
    count, _rows = CertificateLink.objects.filter(expires_at__lte=now or timezone.now()).delete()
    if count:
        audit.record(actor=actor, action="subjectdata.certificate_links_purged",
                     detail={"count": count})
    return count
