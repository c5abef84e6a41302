from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CachesConfig(AppConfig):
    name = "piwarden.caches"
    verbose_name = "Cache freshness"

    def ready(self):
        from piwarden.caches import triggers

        post_migrate.connect(triggers.install, sender=self,
                             dispatch_uid="piwarden.caches.triggers")
