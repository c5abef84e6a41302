"""Staff console: read-only lists of export archives and erasure runs (no PI in either)."""

import json

from django.contrib import admin
from django.utils.html import format_html

from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.subjectdata.models import ErasureRun, ExportArchive


@admin.register(ExportArchive)
class ExportArchiveAdmin(ReadOnlyAdmin):
    list_display = ("id", "subject_id", "status", "lang", "request_ref", "created_at",
                    "expires_at", "downloads")
    list_filter = ("status", "lang")
    search_fields = ("=id", "=subject__id", "request_ref")
    fields = ("id", "subject", "status", "lang", "request_ref", "created_at", "ready_at",
              "expires_at", "downloads", "size", "sources")
    readonly_fields = fields


@admin.register(ErasureRun)
class ErasureRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "subject_id", "status", "scope", "request_ref", "created_at",
                    "done_at")
    list_filter = ("status",)
    search_fields = ("=id", "=subject__id", "request_ref")
    fields = ("id", "subject", "status", "categories", "reason", "request_ref", "created_at",
              "done_at", "progress_view", "certificate_view")
    readonly_fields = fields

    @admin.display(description="Scope")
    def scope(self, run):
        return "everything" if run.categories is None else ", ".join(run.categories)

    @admin.display(description="Progress")
    def progress_view(self, run):
        return format_html("<pre>{}</pre>", json.dumps(run.progress, indent=2,
                                                       ensure_ascii=False))

    @admin.display(description="Deletion certificate")
    def certificate_view(self, run):
        return format_html("<pre>{}</pre>", json.dumps(run.certificate, indent=2,
                                                       ensure_ascii=False))
