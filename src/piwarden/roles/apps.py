from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "piwarden.roles"
    verbose_name = "Staff roles"

    def ready(self):
        """The console's login form is the locked-out, audited one (roles/login.py)."""
        from django.contrib import admin

        from piwarden.roles.login import StaffLoginForm

        admin.site.login_form = StaffLoginForm
