"""API clients: keys are shown once, stored hashed, scoped, and revocable."""

import pytest
from django.core.management import call_command

from piwarden.audit.models import AuditEvent
from piwarden.clients import services
from piwarden.clients.auth import require_scope
from piwarden.clients.models import ApiClient, Scope

pytestmark = pytest.mark.django_db


def test_key_is_stored_only_as_a_hash_and_authenticates(system_actor):
    """The plaintext key never reaches the database, and it identifies its client."""
    client, key = services.create_client(actor=system_actor, name="site", scopes=["catalog:read"])
    stored = ApiClient.objects.get(pk=client.pk)
    assert key not in (stored.key_hash, stored.key_prefix)
    assert services.authenticate(key) == client
    assert AuditEvent.objects.filter(action="api_client.created", object_id=str(client.pk)).exists()


@pytest.mark.parametrize("bad", ["", "pwk_", "pwk_nope_x", "Bearer x", "pwk_abc_def_ghi"])
def test_malformed_or_unknown_keys_are_refused(system_actor, bad):
    """Anything that is not an issued key authenticates nobody."""
    services.create_client(actor=system_actor, name="site", scopes=["catalog:read"])
    assert services.authenticate(bad) is None


def test_wrong_secret_with_a_real_prefix_is_refused(system_actor):
    """Knowing a client's prefix is not enough."""
    _, key = services.create_client(actor=system_actor, name="site", scopes=["catalog:read"])
    assert services.authenticate(key[:-2] + "xx") is None


def test_revoked_key_no_longer_authenticates(system_actor):
    """Revocation takes effect on the next request and is audited."""
    client, key = services.create_client(actor=system_actor, name="site", scopes=["audit:read"])
    services.revoke_client(actor=system_actor, client=client)
    assert services.authenticate(key) is None
    assert AuditEvent.objects.filter(action="api_client.revoked").exists()


def test_unknown_scope_is_refused(system_actor):
    """Scopes come from a fixed list."""
    with pytest.raises(ValueError):
        services.create_client(actor=system_actor, name="site", scopes=["everything"])


def test_scope_check_for_clients_and_staff(system_actor, rf, django_user_model):
    """A client needs the scope; a staff member needs the matching Django permission."""
    from piwarden.api_errors import ApiError

    client, _ = services.create_client(actor=system_actor, name="site", scopes=["catalog:read"])
    request = rf.get("/")
    request.auth = client
    assert require_scope(request, Scope.CATALOG_READ).id == str(client.pk)
    with pytest.raises(ApiError) as refused:
        require_scope(request, Scope.AUDIT_READ)
    assert refused.value.status == 403 and refused.value.code == "FORBIDDEN"

    request.auth = django_user_model.objects.create_user("clerk", is_staff=True)
    with pytest.raises(ApiError):
        require_scope(request, Scope.CATALOG_READ)
    request.auth = django_user_model.objects.create_superuser("boss")
    assert require_scope(request, Scope.CATALOG_READ).kind == "staff"


def test_command_creates_lists_and_revokes(capsys):
    """`piwarden apiclient` prints the key once, lists clients and revokes by name."""
    call_command("apiclient", "create", "shop", "--scope", "catalog:read")
    key = capsys.readouterr().out.split(": ", 1)[1].split()[0]
    assert services.authenticate(key).name == "shop"
    call_command("apiclient", "list")
    assert "shop" in capsys.readouterr().out
    call_command("apiclient", "revoke", "shop")
    assert services.authenticate(key) is None
