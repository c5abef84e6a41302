from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "piwarden.roles"
    verbose_name = "Staff roles"

    def ready(self):
        """The console's login form is the locked-out, audited one (roles/login.py)."""
        from django.contrib import admin

        from piwarden.roles.login import StaffLoginForm

        admin.site.login_form = StaffLoginForm
        admin.site.login_template = "admin/roles/login.html"  # with the authenticator code
        from django.contrib.auth.signals import user_logged_in

        from piwarden.roles import second_factor_views  # noqa: F401  (registers the reset)

        user_logged_in.connect(_remember_staff_session, dispatch_uid="roles.staff_session")


def _remember_staff_session(sender, request, user, **kwargs):
    """Offboarding ends every session of a staff user: note each one at login."""
    if user.is_staff and request is not None and hasattr(request, "session"):
        from piwarden.roles.services import remember_session

        remember_session(user=user, session_key=request.session.session_key)
