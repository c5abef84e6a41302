"""Discovery reports (issue 18): where ``piwarden discover`` found PI that nobody declared.

A ``Report`` is one run over the database, the data directory's files and the logs; its
``Finding``s name a place (``table.column`` or ``path:line``), the detector type, the catalog
category and a count, never the value nor an excerpt, so a report may be kept and shown to
any staff member who handles findings. A finding's status and owner follow it from report to
report through its fingerprint (place and type; a file's path without the line numbers, which
move as a log grows): a false positive accepted once stays accepted. Written only by
``discovery.services``.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    DATABASE = "database", pgettext_lazy("discovery", "Database")
    FILES = "files", pgettext_lazy("discovery", "Files in the data directory")
    LOGS = "logs", pgettext_lazy("discovery", "Logs")


class LocationKind(models.TextChoices):
    COLUMN = "column", pgettext_lazy("discovery", "Database column")
    FILE = "file", pgettext_lazy("discovery", "File")
    LOG = "log", pgettext_lazy("discovery", "Log")


# Rows read per table at most, by default: a report that read fewer rows of each table
# (``--sample`` below this) is a thin one, which cannot clear a database finding.
DEFAULT_SAMPLE = 1000

# Which source finds which kind of place (the deploy check reads each source's latest report).
SOURCE_OF_KIND = {LocationKind.COLUMN: Source.DATABASE, LocationKind.FILE: Source.FILES,
                  LocationKind.LOG: Source.LOGS}


class Declaration(models.TextChoices):
    UNDECLARED = "undeclared", _("Not declared")
    NO_PI = "no_pi", _("Declared as holding no personal information")
    OTHER = "other", _("Declared as another category")


class FindingStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("discovery", "Open")
    FALSE_POSITIVE = "false_positive", _("Accepted as a false positive")
    FIXED = "fixed", pgettext_lazy("discovery", "Fixed")


class Report(models.Model):
    """One run of ``piwarden discover``: what it read and how much."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), default=timezone.now)
    ran_by = models.CharField(_("run by"), max_length=160)
    sources = models.JSONField(_("sources"), default=list)
    sample = models.PositiveIntegerField(_("rows read per table at most"))
    tables_scanned = models.PositiveIntegerField(_("tables"), default=0)
    columns_scanned = models.PositiveIntegerField(_("columns"), default=0)
    rows_scanned = models.PositiveBigIntegerField(_("rows"), default=0)
    cells_scanned = models.PositiveBigIntegerField(_("cells"), default=0)
    files_scanned = models.PositiveIntegerField(_("files"), default=0)
    lines_scanned = models.PositiveBigIntegerField(_("lines"), default=0)
    skipped = models.JSONField(_("declared stores skipped"), default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("discovery report")
        verbose_name_plural = _("discovery reports")

    def __str__(self):
        return f"#{self.pk}"

    def is_full(self, source: str) -> bool:
        """Whether this run read ``source`` in full: the sample limits only the database."""
        return source in self.sources and (source != Source.DATABASE
                                           or self.sample >= DEFAULT_SAMPLE)


def fingerprint(kind: str, location: str, type_: str) -> str:
    """The same place and detector type in any report: ``table.column``, a file's path (not
    its line numbers), or ``name:path`` for what a file's name holds."""
    return hashlib.sha256(f"{kind}\x1f{location}\x1f{type_}".encode()).hexdigest()


class Finding(models.Model):
    """PI of one detector type found at one place where no declaration covers it."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="findings",
                               verbose_name=_("report"))
    kind = models.CharField(_("kind of place"), max_length=8, choices=LocationKind.choices)
    location = models.CharField(_("place"), max_length=600,
                                help_text=_("table.column or path:line; never a value"))
    type = models.CharField(_("detector type"), max_length=40)
    category = models.CharField(_("category"), max_length=100)
    declaration = models.CharField(_("declaration"), max_length=12,
                                   choices=Declaration.choices)
    declared_category = models.CharField(_("declared category"), max_length=100, blank=True)
    count = models.PositiveIntegerField(_("count"))
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=FindingStatus.choices,
                              default=FindingStatus.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="discovery_findings",
                              verbose_name=_("owner"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-report_id", "kind", "location", "type"]
        verbose_name = _("discovery finding")
        verbose_name_plural = _("discovery findings")
        indexes = [models.Index(fields=["report", "status"])]

    def __str__(self):
        from piwarden.discovery.labels import type_name

        return f"{self.location} ({type_name(self.type)})"
