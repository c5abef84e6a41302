"""Which profile fields each service needs (policy §2.1(1): "to use specific products").

Services are declared in ``PIWARDEN_ACCOUNT_SERVICES`` (default: ``conf.DEFAULT_SERVICES``);
the account asks for a field only when the person activates a service that needs it.
"""

from django.utils.translation import gettext as _

from piwarden.accounts import conf

KNOWN_FIELDS = ("phone", "email", "user_name", "avatar", "name", "address", "contact_other",
                "id_info")


def exists(service: str) -> bool:
    return service in conf.services()


def required(service: str) -> list[str]:
    return list(conf.services().get(service, ("", []))[1])


def needs(service: str, field: str) -> bool:
    return field in required(service)


def label(service: str) -> str:
    return _(conf.services().get(service, (service, []))[0])


def all_services() -> list[str]:
    return sorted(conf.services())
