from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "piwarden.vault"
    verbose_name = "PI vault"

    def ready(self):
        from piwarden.consent import erasure
        from piwarden.vault.erasure import erase_categories

        erasure.register("vault", erase_categories)
        from piwarden.vault import subject_data

        subject_data.register()
