"""The sharing API: flows, provisions and package links."""

import uuid

import pytest
from django.test import Client

from piwarden.clients import services as clients

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(system_actor):
    def make(*scopes):
        _, key = clients.create_client(actor=system_actor, name=f"site-{uuid.uuid4()}",
                                       scopes=list(scopes))
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    return make


def test_provision_over_the_api_returns_a_link_once(activate, person_with, api):
    flow = activate("sharing.processors", "partner.business")
    person = person_with(name="陈一", email="chen@example.cn")
    http = api("sharing:provide")
    response = http.post(f"/api/v1/sharing/flows/{flow.pk}/provisions",
                         {"subjects": [str(person.pk)], "categories": ["user.name"]},
                         content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["provided"], body["categories"]) == (1, ["user.name"])
    fetched = Client().get(body["download_url"])
    assert fetched.status_code == 200
    assert fetched.json()["records"][0]["name"] == "陈一"
    assert fetched["Cache-Control"] == "no-store"


def test_the_api_refuses_without_the_scope_or_key(activate, api):
    flow = activate("sharing.processors", "partner.business")
    url = f"/api/v1/sharing/flows/{flow.pk}/provisions"
    body = {"subjects": [str(uuid.uuid4())]}
    assert Client().post(url, body, content_type="application/json").status_code == 401
    refused = api("catalog:read").post(url, body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"


def test_bad_input_is_a_4xx_json_error(activate, api):
    flow = activate("sharing.processors", "partner.business")
    http = api("sharing:provide", "sharing:read")
    bad = http.post(f"/api/v1/sharing/flows/{flow.pk}/provisions", {"subjects": ["nope"]},
                    content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_ERROR"
    missing = http.post("/api/v1/sharing/flows/999999/provisions",
                        {"subjects": [str(uuid.uuid4())]}, content_type="application/json")
    assert missing.status_code == 404
    unknown = http.post(f"/api/v1/sharing/flows/{flow.pk}/provisions",
                        {"subjects": [str(uuid.uuid4())], "categories": ["no.such"]},
                        content_type="application/json")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "UNKNOWN_CATEGORY"
    assert Client().get("/api/v1/sharing/packages/not-a-token").status_code == 404
    listed = http.get("/api/v1/sharing/flows?status=active")
    assert [f["id"] for f in listed.json()] == [flow.pk]


def test_an_inactive_flow_answers_409(registry_synced, api):
    from piwarden.sharing.models import Flow

    flow = Flow.objects.get(activity="sharing.processors", recipient="partner.business")
    response = api("sharing:provide").post(
        f"/api/v1/sharing/flows/{flow.pk}/provisions", {"subjects": [str(uuid.uuid4())]},
        content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "FLOW_INACTIVE"
