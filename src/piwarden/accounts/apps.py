from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "piwarden.accounts"
    verbose_name = "Accounts"

    def ready(self):
        from piwarden.vault.fields import VaultField, register

        # The TOTP shared secret is a credential: encrypted like any PI, revealed for security.
        register(VaultField("totp_secret", "user.credentials.security_info"))
