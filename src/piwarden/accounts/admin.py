"""Accounts in the staff console: read-only, masked values only (full values go through the
vault's own console page, which needs a permission and a reason)."""

from django.contrib import admin

from piwarden.accounts.models import Account, GuardianRequest, ProfileChange
from piwarden.readonly_admin import ReadOnlyAdmin
from piwarden.vault import services as vault


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("subject", "masked_phone", "masked_email", "is_bound", "totp_enabled",
                    "created_at")
    search_fields = ("=subject__id",)
    exclude = ("totp_last_step",)

    @admin.display(description="Phone")
    def masked_phone(self, obj):
        return vault.masked(obj.subject, "phone")

    @admin.display(description="E-mail")
    def masked_email(self, obj):
        return vault.masked(obj.subject, "email")

    @admin.display(boolean=True, description="Bound")
    def is_bound(self, obj):
        return obj.is_bound

    @admin.display(boolean=True, description="2FA")
    def totp_enabled(self, obj):
        return obj.totp_enabled


@admin.register(ProfileChange)
class ProfileChangeAdmin(ReadOnlyAdmin):
    list_display = ("account", "field", "channel", "changed_at")
    list_filter = ("field", "channel")


@admin.register(GuardianRequest)
class GuardianRequestAdmin(ReadOnlyAdmin):
    list_display = ("account", "service", "status", "created_at", "expires_at")
    list_filter = ("status",)
    exclude = ("id_digest", "token_digest")
