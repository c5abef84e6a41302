"""The catalog in the staff console, strictly read-only: the YAML file is the only source."""

from django.contrib import admin

from piwarden.catalog.models import (
    CatalogRelease,
    DataCategory,
    Grade,
    LegalBasis,
    ProcessingActivity,
    Purpose,
    Recipient,
    System,
)

# Read-only: edits would be lost at the next load and bypass review of the file.
from piwarden.readonly_admin import ReadOnlyAdmin


class SensitiveFilter(admin.SimpleListFilter):
    title = "sensitive (PIPL Art. 28)"
    parameter_name = "sensitive"

    def lookups(self, request, model_admin):
        return [("yes", "Sensitive"), ("no", "Not sensitive")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(grade=Grade.SENSITIVE)
        if self.value() == "no":
            return queryset.exclude(grade=Grade.SENSITIVE)
        return queryset


@admin.register(DataCategory)
class DataCategoryAdmin(ReadOnlyAdmin):
    list_display = ["key", "name_en", "name_zh", "grade", "anonymized", "collectable", "retired"]
    list_filter = ["grade", SensitiveFilter, "anonymized", "collectable", "retired"]
    search_fields = ["key", "name_en", "name_zh", "policy_ref"]
    list_select_related = ["parent"]


@admin.register(LegalBasis)
class LegalBasisAdmin(ReadOnlyAdmin):
    list_display = ["key", "name_en", "article", "pipl_13", "policy_ref", "retired"]
    list_filter = ["pipl_13", "retired"]
    search_fields = ["key", "name_en", "name_zh", "article", "policy_ref"]


@admin.register(Purpose)
class PurposeAdmin(ReadOnlyAdmin):
    list_display = ["key", "name_en", "legal_basis", "consent", "policy_ref", "retired"]
    list_filter = ["consent", "legal_basis", "retired"]
    search_fields = ["key", "name_en", "name_zh", "description", "policy_ref"]
    list_select_related = ["legal_basis"]


@admin.register(System)
class SystemAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "kind", "region", "retired"]
    list_filter = ["kind", "region", "retired"]
    search_fields = ["key", "name", "description"]


@admin.register(Recipient)
class RecipientAdmin(ReadOnlyAdmin):
    list_display = ["key", "name_en", "legal_name", "role", "status", "country", "retired"]
    list_filter = ["role", "status", "country", "retired"]
    search_fields = ["key", "name_en", "name_zh", "legal_name", "policy_ref"]


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(ReadOnlyAdmin):
    list_display = ["key", "name_en", "purpose", "retention", "storage_region", "retired"]
    list_filter = ["purpose", "storage_region", "retired"]
    search_fields = ["key", "name_en", "name_zh", "description", "policy_ref"]
    list_select_related = ["purpose"]


@admin.register(CatalogRelease)
class CatalogReleaseAdmin(ReadOnlyAdmin):
    list_display = ["sha256", "source", "loaded_at", "loaded_by"]
    search_fields = ["sha256"]
