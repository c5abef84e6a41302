from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "piwarden.sharing"
    verbose_name = "Sharing: recipients, flows and the disclosure register"

    def ready(self):
        from piwarden.catalog.signals import catalog_loaded
        from piwarden.sharing import propagation, subject_data

        subject_data.register()
        catalog_loaded.connect(_sync_registry, dispatch_uid="sharing.sync")
        propagation.connect()


def _sync_registry(sender, *, release, actor, **kwargs):
    """The registry follows each catalog load, in the same transaction."""
    from piwarden.sharing import services

    services.sync(actor=actor)
