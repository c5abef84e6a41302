from django.apps import AppConfig

# The TOTP secret's display form: nothing of a credential, not even its first character.
TOTP_MASK = "••••••"


def mask_credential(value: str) -> str:
    return TOTP_MASK


class AccountsConfig(AppConfig):
    name = "piwarden.accounts"
    verbose_name = "Accounts"

    def ready(self):
        from piwarden.accounts.erasure import erase_categories
        from piwarden.consent import erasure
        from piwarden.vault.fields import VaultField, register

        erasure.register("accounts", erase_categories)

        # The TOTP shared secret is a credential: encrypted like any PI, revealed for security.
        register(VaultField("totp_secret", "user.credentials.security_info",
                            mask=mask_credential))
        from piwarden.accounts import subject_data

        subject_data.register()
        from piwarden.accounts import message_files
        from piwarden.subjects import registry

        registry.register(message_files.SOURCE)
