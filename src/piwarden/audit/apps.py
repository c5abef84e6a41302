from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "piwarden.audit"
    verbose_name = "Audit trail"

    def ready(self):
        from piwarden.audit import append_only

        # Re-installed after every migrate: SQLite drops triggers when a migration rebuilds
        # the table, and a database guard that silently disappears would be worse than none.
        post_migrate.connect(append_only.install_after_migrate, sender=self)
        from piwarden.audit import subject_data

        subject_data.register()
