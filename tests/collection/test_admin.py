"""Staff see events and device links read-only."""

import pytest

from piwarden.audit.actors import Actor
from piwarden.collection import services
from tests.staffreads.helpers import state_purpose

from .conftest import event

pytestmark = pytest.mark.django_db


def test_admin_lists_events_read_only(client, django_user_model, person):
    services.ingest(actor=Actor.system("tests"), source="client:t",
                    events=[event("a1", subject=person, url="/", ip="203.0.113.1")])
    staff = django_user_model.objects.create_superuser("root", password="x-long-pass-123")
    client.force_login(staff)
    state_purpose(client, "collection/event", "log.operation")
    state_purpose(client, "collection/devicelink", "device.cross_device")
    page = client.get("/admin/collection/event/")
    assert page.status_code == 200 and b"page_view" in page.content
    assert client.get("/admin/collection/devicelink/").status_code == 200
    assert client.get("/admin/collection/event/add/").status_code == 403
