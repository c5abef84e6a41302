"""API clients in the staff console; keys are issued with `piwarden apiclient create`."""

from django.contrib import admin

from piwarden.audit.actors import Actor
from piwarden.clients import services
from piwarden.clients.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "key_prefix", "scopes", "is_active", "created_at", "revoked_at")
    list_filter = ("is_active",)
    search_fields = ("name", "key_prefix")
    readonly_fields = ("name", "key_prefix", "scopes", "is_active", "created_at", "revoked_at")
    exclude = ("key_hash",)
    actions = ["revoke"]

    @admin.action(description="Revoke the selected clients' keys")
    def revoke(self, request, queryset):
        for client in queryset.filter(is_active=True):
            services.revoke_client(actor=Actor.staff(request.user), client=client)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
