"""Console pages that never edit a record by form: read-only ones (audit trail, catalog,
subjects), and ones whose list actions call the services (alerts, findings, grants)."""

from django.contrib import admin, messages

from piwarden.admin_actions import run_per_row


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionsOnlyAdmin(admin.ModelAdmin):
    """The change permission runs the list's actions (each through a service); no record is
    added, deleted or edited by form."""

    row_label = "#{pk}"  # how a refusal names its row

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def apply_each(self, request, queryset, change, done) -> None:
        """Call ``change(actor, row)`` (a service) on each selected row as the staff member; a
        refusal (``ServiceError``) is reported for its row and the others go on; ``done(n)``
        words the ``n`` rows changed."""
        changed = run_per_row(self, request, queryset, change, level=messages.WARNING,
                              label=lambda row: self.row_label.format(pk=row.pk))
        self.message_user(request, done(changed))
