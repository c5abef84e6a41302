"""Reads shared by the pages and the API."""

from piwarden.accounts import registry, services
from piwarden.accounts.models import Account, ProfileChange, ServiceActivation


def history(account: Account, limit: int = 200):
    return ProfileChange.objects.filter(account=account)[:limit]


def service_status(account: Account) -> list[dict]:
    """For each service: the fields it needs, which of them are missing, and whether it is on."""
    active = set(ServiceActivation.objects.filter(account=account)
                 .values_list("service", flat=True))
    return [{"key": key, "name": registry.label(key), "required": registry.required(key),
             "missing": services.missing_fields(account, key), "active": key in active}
            for key in registry.all_services()]
