"""Issuing, checking and revoking API keys."""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.caches import freshness
from piwarden.clients.models import ApiClient, Scope

KEY_PREFIX = "pwk_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_client(*, actor: Actor, name: str, scopes: list[str]) -> tuple[ApiClient, str]:
    """Returns the client and its key; the key is not stored and cannot be shown again."""
    scopes = sorted({Scope(scope).value for scope in scopes})
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient.objects.create(
        name=name, key_prefix=prefix, key_hash=_digest(key), scopes=scopes
    )
    audit.record(actor=actor, action="api_client.created", obj=client, detail={"scopes": scopes})
    return client, key


@transaction.atomic
def revoke_client(*, actor: Actor, client: ApiClient) -> None:
    client.is_active = False
    client.revoked_at = timezone.now()
    client.save(update_fields=["is_active", "revoked_at"])
    freshness.changed(freshness.API_CLIENTS)
    audit.record(actor=actor, action="api_client.revoked", obj=client)


# Active clients by key prefix, per process, dropped when any process on any host changes one.
_clients: dict[str, ApiClient] = {}
_clients_token = -1


def authenticate(key: str) -> ApiClient | None:
    """The active client owning this key, or None; constant-time on the secret part."""
    global _clients_token
    if not key.startswith(KEY_PREFIX) or key.count("_") < 2:
        return None
    prefix = key[len(KEY_PREFIX):].split("_", 1)[0]
    token = freshness.token(freshness.API_CLIENTS)
    if token != _clients_token:
        _clients.clear()
        _clients_token = token
    client = _clients.get(prefix)
    if client is None:
        client = ApiClient.objects.filter(key_prefix=prefix, is_active=True).first()
        if client is None:
            return None
        _clients[prefix] = client
    if not hmac.compare_digest(client.key_hash, _digest(key)):
        return None
    return client
