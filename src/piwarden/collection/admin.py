from django.contrib import admin

from piwarden.collection.models import DeviceLink, Event
from piwarden.readonly_admin import ReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """Read-only: rows are written by the ingestion API and removed by retention or erasure."""

    list_display = ("occurred_at", "kind", "activity", "subject", "source", "device_type")
    list_filter = ("kind", "activity", "device_type")
    search_fields = ("=event_id", "=subject__id")
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(DeviceLink)
class DeviceLinkAdmin(ReadOnlyAdmin):
    list_display = ("subject", "device", "first_seen", "last_seen")
    search_fields = ("=subject__id", "=device__id")
