"""The public entry points: home page, health check, API docs."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_without_login(client):
    """Load balancers can poll /healthz anonymously; it carries no PI and is never cached."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_developer_page_links_to_what_exists(client):
    """The developer page (linked from every page's footer; the home page is the privacy
    center, issue 17 point 8) links to the console, the API docs and the health check."""
    assert 'href="/developers/"' in client.get("/").content.decode()
    response = client.get("/developers/")
    assert response.status_code == 200
    body = response.content.decode()
    for link in ('href="/admin/"', 'href="/api/v1/docs"', 'href="/healthz"'):
        assert link in body


def test_openapi_schema_and_docs_are_served(client):
    """Developers find the API described at /api/v1/openapi.json and browsable at /api/v1/docs."""
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "piwarden API"
    assert client.get("/api/v1/docs").status_code == 200


def test_every_response_names_its_request(client):
    """A request id is returned (and reused when the caller sends a well-formed one)."""
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    response = client.get("/healthz", headers={"X-Request-ID": "trace-abc-12345"})
    assert response["X-Request-ID"] == "trace-abc-12345"
    response = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert response["X-Request-ID"] != "bad id with spaces"


def test_unknown_api_path_is_a_machine_readable_404(client):
    """Bad paths under the API answer 404, not an HTML error page or a 500."""
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert client.get("/no-such-page").status_code == 404


def test_security_headers(client):
    """Pages are not frameable and send only the origin to other sites."""
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
