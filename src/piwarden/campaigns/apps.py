from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "piwarden.campaigns"
    verbose_name = "Offline campaigns"
