"""Reads of discovery reports shared by the deploy check, the command and the console.

The gate (docs/discovery.md, "The deploy check"): per source, the latest *full* report (for the
database, one that read at least ``DEFAULT_SAMPLE`` rows per table; every files or logs run is
full) and every thinner report of that source after it. Of the findings of those reports, the
latest one of each fingerprint counts; it is refused while open. A thin run therefore adds
what it finds but never clears what a full run found: a finding it misses stays open, and one
it finds again carries the full run's status.
"""

from django.db.models import QuerySet

from piwarden.discovery.models import SOURCE_OF_KIND, Finding, FindingStatus, Report, Source


def latest_reports() -> dict[str, Report]:
    """The latest report that scanned each source (a run may scan only some of them)."""
    latest: dict[str, Report] = {}
    for report in Report.objects.order_by("-started_at", "-id").iterator():
        for source in report.sources:
            latest.setdefault(source, report)
        if len(latest) == len(Source.values):
            break
    return latest


def gate_reports() -> tuple[dict[str, Report], dict[str, list[Report]]]:
    """Per source, its latest full report, and the reports the gate reads (newest first):
    that one and the thinner ones after it (all of them if no full run ever read it)."""
    full: dict[str, Report] = {}
    read: dict[str, list[Report]] = {source: [] for source in Source.values}
    for report in Report.objects.order_by("-started_at", "-id").iterator():
        for source in report.sources:
            if source in read and source not in full:
                read[source].append(report)
                if report.is_full(source):
                    full[source] = report
        if len(full) == len(Source.values):
            break
    return full, {source: reports for source, reports in read.items() if reports}


def open_findings() -> QuerySet[Finding]:
    """What the deploy check refuses: of the gate's reports of each source, the latest finding
    of each fingerprint, when it is open."""
    _full, read = gate_reports()
    order = {}
    for reports in read.values():
        for report in reports:
            order[report.pk] = (report.started_at, report.pk)
    refused, seen = [], set()
    for kind, source in SOURCE_OF_KIND.items():
        reports = read.get(source, [])
        rows = (Finding.objects.filter(report__in=reports, kind=kind)
                .values_list("pk", "report_id", "fingerprint", "status"))
        for pk, _report, print_, status in sorted(rows, key=lambda row: order[row[1]],
                                                  reverse=True):
            if print_ not in seen:
                seen.add(print_)
                if status == FindingStatus.OPEN:
                    refused.append(pk)
    return Finding.objects.filter(pk__in=refused)
