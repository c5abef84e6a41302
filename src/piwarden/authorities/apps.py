from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthoritiesConfig(AppConfig):
    name = "piwarden.authorities"
    verbose_name = _("Requests from authorities")

    def ready(self):
        from piwarden.authorities import guard, notices
        from piwarden.sharing import guards

        guards.register(guard.AuthorityGuard())
        notices.register()
