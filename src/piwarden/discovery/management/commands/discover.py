"""`piwarden discover [--only SOURCE] [--sample N] [--json] [--user NAME]`: look for PI where
nobody declared it and keep the report. Exits 0 whatever it found (`piwarden check --deploy`
is the gate); non-zero only when the scan itself fails."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from piwarden.audit.actors import Actor
from piwarden.catalog import labels
from piwarden.discovery import services
from piwarden.discovery.labels import skip_reason, type_name
from piwarden.discovery.models import FindingStatus


class Command(BaseCommand):
    help = ("Scan every table and text column of the database (sampled), the text files under "
            "the data directory and the logs for PI that the column -> category map does not "
            "declare; print the findings (places, types, counts, never a value).")

    def add_arguments(self, parser):
        parser.add_argument("--only", action="append", choices=services.SOURCES,
                            help="scan only this source (repeatable); default: all")
        parser.add_argument("--sample", type=int, default=services.DEFAULT_SAMPLE,
                            help="rows read per table at most (default %(default)s)")
        parser.add_argument("--json", action="store_true", dest="as_json",
                            help="print the report as JSON")
        parser.add_argument("--user", help="the staff member running it (user name); "
                                           "default: the system")

    def handle(self, *args, only, sample, as_json, user, **options):
        actor = Actor.system("discovery.discover")
        if user:
            found = get_user_model().objects.filter(username=user, is_staff=True).first()
            if found is None:
                raise CommandError(f"no staff member with user name {user!r}")
            actor = Actor.staff(found)
        try:
            report = services.run_discover(actor=actor, sources=only or services.SOURCES,
                                           sample=sample)
        except services.DiscoveryError as error:
            raise CommandError(error.message) from error
        findings = list(report.findings.order_by("kind", "location", "type"))
        if as_json:
            self.stdout.write(_json(report, findings))
        else:
            with translation.override("en"):
                self._table(report, findings)

    def _table(self, report, findings):
        rows = [(f.location, type_name(f.type, "en"), labels.category(f.category, "en"),
                 str(f.count), FindingStatus(f.status).label) for f in findings]
        head = ("PLACE", "TYPE", "CATEGORY", "COUNT", "STATUS")
        widths = [max(len(str(cell)) for cell in column) for column in zip(head, *rows,
                                                                              strict=False)]
        for row in (head, *rows):
            self.stdout.write("  ".join(str(cell).ljust(width)
                                        for cell, width in zip(row, widths, strict=True))
                              .rstrip())
        still_open = sum(f.status == FindingStatus.OPEN for f in findings)
        self.stdout.write(
            f"report #{report.pk}: {len(findings)} finding(s), {still_open} open; scanned "
            f"{report.tables_scanned} tables, {report.rows_scanned} rows, "
            f"{report.cells_scanned} cells, {report.files_scanned} files, "
            f"{report.lines_scanned} lines")
        stores = [entry for entry in report.skipped if isinstance(entry, str)]
        if stores:
            self.stdout.write(f"declared stores skipped: {', '.join(stores)}")
        for entry in report.skipped:
            if isinstance(entry, dict):
                self.stdout.write(f"not read: {entry.get('place')} "
                                  f"({skip_reason(entry.get('reason'), 'en')})")


def _json(report, findings) -> str:
    return json.dumps({
        "report": report.pk, "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(), "sources": report.sources,
        "sample": report.sample,
        "scanned": {"tables": report.tables_scanned, "columns": report.columns_scanned,
                    "rows": report.rows_scanned, "cells": report.cells_scanned,
                    "files": report.files_scanned, "lines": report.lines_scanned},
        "skipped": report.skipped,
        "findings": [{"id": f.pk, "kind": f.kind, "location": f.location, "type": f.type,
                      "category": f.category, "declaration": f.declaration,
                      "declared_category": f.declared_category or None, "count": f.count,
                      "status": f.status, "owner": f.owner_id} for f in findings],
    }, ensure_ascii=False, indent=2)
