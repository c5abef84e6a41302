from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationConfig(AppConfig):
    name = "piwarden.publication"
    verbose_name = _("Public disclosure")

    def ready(self):
        from piwarden.consent.signals import consent_ended
        from piwarden.publication import services, subject_data

        subject_data.register()
        consent_ended.connect(services.on_consent_ended,
                              dispatch_uid="publication.on_consent_ended")
