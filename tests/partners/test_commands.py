import io

import pytest
from django.core.management import CommandError, call_command

from piwarden.audit.actors import Actor
from piwarden.clients import services as clients
from piwarden.partners.models import PartnerClient

pytestmark = pytest.mark.django_db


def test_create_link_and_list():
    out = io.StringIO()
    call_command("partners", "create", "partner.data_source", "Acme Data", stdout=out)
    client, _key = clients.create_client(actor=Actor.system("tests"), name="acme-import",
                                         scopes=["partners:import"])
    call_command("partners", "link", "acme-import", "partner.data_source", stdout=out)
    assert PartnerClient.objects.get(client=client).partner.name == "Acme Data"
    call_command("partners", "list", stdout=out)
    assert "partner.data_source\tAcme Data\tactive\tacme-import" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("partners", "create", "processor.messaging", "Not a source")
