"""Staff console: the one list of alerts. Read-only pages; the actions call the services."""

from django.contrib import admin

from piwarden.alerts import services
from piwarden.alerts.models import Alert
from piwarden.readonly_admin import ActionsOnlyAdmin


@admin.register(Alert)
class AlertAdmin(ActionsOnlyAdmin):
    row_label = "Alert {pk}"
    list_display = ["created_at", "severity", "kind", "summary", "status", "assignee", "source"]
    list_filter = ["status", "severity", "kind"]
    search_fields = ["kind", "source", "summary"]
    date_hierarchy = "created_at"
    list_select_related = ["assignee"]
    readonly_fields = ["kind", "severity", "source", "summary", "detail", "objects_concerned",
                       "people", "status", "assignee", "created_at", "updated_at"]
    fields = readonly_fields
    actions = ["acknowledge", "assign_to_me", "resolve"]

    @admin.display(description="People concerned")
    def people(self, obj):
        return ", ".join(str(pk) for pk in obj.subject_links.values_list("subject_id", flat=True))

    @admin.action(description="Acknowledge", permissions=["change"])
    def acknowledge(self, request, queryset):
        self.apply_each(request, queryset,
                        lambda actor, alert: services.acknowledge(actor=actor, alert=alert),
                        lambda n: f"{n} alert(s) acknowledged.")

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self.apply_each(request, queryset, lambda actor, alert: services.assign(
            actor=actor, alert=alert, assignee=request.user),
            lambda n: f"{n} alert(s) assigned to you.")

    @admin.action(description="Resolve", permissions=["change"])
    def resolve(self, request, queryset):
        self.apply_each(request, queryset,
                        lambda actor, alert: services.resolve(actor=actor, alert=alert),
                        lambda n: f"{n} alert(s) resolved.")
