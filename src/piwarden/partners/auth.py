"""API keys of the registry's counterparties: refused (401) once the counterparty is suspended
or terminated, or its processing contract has ended (S-4.1.1e). Checked on every request, so
a key answers 401 the day after the contract's end date even before the daily job revokes it."""

from piwarden.clients.auth import ApiKeyAuth
from piwarden.partners import services
from piwarden.sharing import selectors


class CounterpartyKeyAuth(ApiKeyAuth):
    def authenticate(self, request, token):
        client = super().authenticate(request, token)
        if client is None:
            return None
        counterparty = services.counterparty_of(client)
        if counterparty is not None and selectors.credentials_ended(counterparty.recipient):
            return None
        return client
