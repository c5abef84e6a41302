from django.contrib import admin

from piwarden.collection.models import DeviceLink, Event
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.staffreads.admin import PurposeBoundAdmin


@admin.register(Event)
class EventAdmin(PurposeBoundAdmin, ReadOnlyAdmin):
    """Read-only: rows are written by the ingestion API and removed by retention or erasure.
    Usage logs of people: read for a stated purpose, audited (Z-1)."""

    read_categories = ("user.log.usage",)

    list_display = ("occurred_at", "kind", "activity", "subject", "source", "device_type")
    list_filter = ("kind", "activity", "device_type")
    search_fields = ("=event_id", "=subject__id")
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(DeviceLink)
class DeviceLinkAdmin(PurposeBoundAdmin, ReadOnlyAdmin):
    read_categories = ("user.device.link",)
    list_display = ("subject", "device", "first_seen", "last_seen")
    search_fields = ("=subject__id", "=device__id")
