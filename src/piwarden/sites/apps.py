from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "piwarden.sites"
    verbose_name = _("Sites and services")

    def ready(self):
        from piwarden.catalog.signals import catalog_loaded
        from piwarden.sites import discontinuation

        discontinuation.register()
        catalog_loaded.connect(_sync, dispatch_uid="sites.sync")


def _sync(sender, *, release, actor, **kwargs):
    """The default site and one service per catalog function follow each catalog load, in
    the same transaction (after the sharing registry, which is installed earlier)."""
    from piwarden.sites import services

    services.sync(actor=actor)
