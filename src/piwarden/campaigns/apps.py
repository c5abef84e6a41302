from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "piwarden.campaigns"
    verbose_name = "Offline campaigns"

    def ready(self):
        from piwarden.campaigns import subject_data
        from piwarden.campaigns.models import CampaignEntry
        from piwarden.subjects import registry
        from piwarden.vault import files
        from piwarden.vault.fields import VaultField, register

        register(VaultField("campaigns_title", "user.title"))
        register(VaultField("campaigns_occupation", "user.occupation"))
        register(VaultField("campaigns_scan_key", "user.consent", normalize=files.normalize_key,
                            mask=files.mask_key, secret=True))
        registry.register(registry.Source(
            name="campaigns.entries", models=(CampaignEntry,), categories=subject_data.CATEGORIES,
            export=subject_data.export, erase=subject_data.erase))
        registry.register_retention(registry.Retention(
            name="campaigns.entries", activity="campaign.offline_capture",
            due=subject_data.due, expire=subject_data.expire))
