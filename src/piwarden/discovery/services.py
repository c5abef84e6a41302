"""The only writers of discovery reports: run a scan, change a finding's status or owner.

Each write is one transaction with its audit record, which names the report or the finding,
detector types, categories and counts, never a value.
"""

from collections import Counter
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.discovery import sources as scanners
from piwarden.discovery.models import DEFAULT_SAMPLE, Finding, FindingStatus, Report, Source
from piwarden.errors import ServiceError

__all__ = ["DEFAULT_SAMPLE", "SOURCES", "DiscoveryError", "assign", "run_discover",
           "set_status"]
PURPOSE = "security"
SOURCES = tuple(Source.values)


class DiscoveryError(ServiceError):
    pass


def _sources(sources: Iterable[str]) -> list[str]:
    asked = set(sources)
    unknown = asked - set(SOURCES)
    if unknown or not asked:
        raise DiscoveryError("SOURCE_UNKNOWN", f"Sources are some of {', '.join(SOURCES)}.")
    return [source for source in SOURCES if source in asked]


def _carried(prints: list[str]) -> dict[str, tuple[str, int | None]]:
    """Status and owner of each fingerprint's latest earlier finding."""
    carried: dict[str, tuple[str, int | None]] = {}
    for start in range(0, len(prints), 500):
        rows = (Finding.objects.filter(fingerprint__in=prints[start:start + 500])
                .order_by("-report_id").values_list("fingerprint", "status", "owner_id"))
        for print_, status, owner in rows:
            carried.setdefault(print_, (status, owner))
    return carried


def run_discover(*, actor: Actor, sources: Iterable[str] = SOURCES,
                 sample: int = DEFAULT_SAMPLE) -> Report:
    """Scan ``sources`` and keep the report; one audit record for the run.

    A finding keeps the status and owner of the same place and type in an earlier report (a
    file's place without its line numbers); one marked fixed that is found again is open
    again. A finding no longer found is simply absent from the new report (the earlier report
    keeps it as history). A run with a sample below ``DEFAULT_SAMPLE`` is kept, but the deploy
    check does not let it clear what a full run found (``selectors.open_findings``).
    """
    chosen = _sources(sources)
    if sample < 1:
        raise DiscoveryError("SAMPLE_INVALID", "The sample is at least one row per table.")
    started, tally, hits = timezone.now(), scanners.Tally(), []
    detector = scanners.Detector()
    if Source.DATABASE in chosen:
        hits += scanners.scan_database(sample, tally, detector)
    if Source.FILES in chosen:
        hits += scanners.scan_files(tally, detector)
    if Source.LOGS in chosen:
        hits += scanners.scan_logs(tally, detector)
    with transaction.atomic():
        report = Report.objects.create(
            started_at=started, finished_at=timezone.now(), ran_by=str(actor), sources=chosen,
            sample=sample, tables_scanned=tally.tables, columns_scanned=tally.columns,
            rows_scanned=tally.rows, cells_scanned=tally.cells, files_scanned=tally.files,
            lines_scanned=tally.lines, skipped=tally.skipped)
        prints = [hit.fingerprint for hit in hits]
        carried = _carried(prints)
        findings = []
        for hit, print_ in zip(hits, prints, strict=True):
            status, owner = carried.get(print_, (FindingStatus.OPEN, None))
            if status == FindingStatus.FIXED:
                status = FindingStatus.OPEN
            findings.append(Finding(
                report=report, kind=hit.kind, location=hit.location[:600], type=hit.type,
                category=hit.category, declaration=hit.declaration,
                declared_category=hit.declared_category, count=hit.count,
                fingerprint=print_, status=status, owner_id=owner))
        Finding.objects.bulk_create(findings, batch_size=500)
        types = Counter()
        for hit in hits:
            types[hit.type] += hit.count
        audit.record(actor=actor, action="discovery.report_made", obj=report,
                     categories={hit.category for hit in hits}, purpose=PURPOSE,
                     detail={"sources": chosen, "sample": sample, "rows": tally.rows,
                             "files": tally.files, "lines": tally.lines,
                             "files_not_read": tally.unread,
                             "findings": len(findings),
                             "open": sum(f.status == FindingStatus.OPEN for f in findings),
                             "types": dict(sorted(types.items()))})
    return report


@transaction.atomic
def set_status(*, actor: Actor, finding: Finding, status: str) -> Finding:
    """Mark a finding open, accepted as a false positive, or fixed."""
    if status not in FindingStatus.values:
        raise DiscoveryError("STATUS_UNKNOWN", f"Statuses are {', '.join(FindingStatus.values)}.")
    finding.status, finding.updated_at = status, timezone.now()
    finding.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action="discovery.finding_status_changed", obj=finding,
                 purpose=PURPOSE, detail={"status": status, "type": finding.type,
                                          "kind": finding.kind, "report": finding.report_id})
    return finding


@transaction.atomic
def assign(*, actor: Actor, finding: Finding, owner) -> Finding:
    """Make a staff member the finding's owner (``None``: nobody)."""
    if owner is not None and not (owner.is_active and owner.is_staff):
        raise DiscoveryError("OWNER_NOT_STAFF", "A finding's owner is an active staff member.")
    finding.owner, finding.updated_at = owner, timezone.now()
    finding.save(update_fields=["owner", "updated_at"])
    audit.record(actor=actor, action="discovery.finding_assigned", obj=finding,
                 purpose=PURPOSE, detail={"owner": owner.pk if owner else None,
                                          "type": finding.type, "report": finding.report_id})
    return finding

