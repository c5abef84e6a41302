"""The catalog API: authenticated, scope-checked, read-only, with NOT_FOUND for unknown keys."""

import pytest
import yaml
from django.contrib.auth.models import Permission, User

from piwarden.audit.actors import Actor
from piwarden.catalog.export import catalog_document
from piwarden.catalog.models import CatalogRelease
from piwarden.catalog.services import load_catalog
from piwarden.clients.services import create_client

from .conftest import MINIMAL

pytestmark = pytest.mark.django_db
BASE = "/api/v1/catalog"


@pytest.fixture
def api(client, shipped):
    """A test client sending the key of an API client holding catalog:read."""
    _, key = create_client(actor=Actor.system("tests"), name="website", scopes=["catalog:read"])
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def test_unauthenticated_is_401(client, shipped):
    """No key and no staff session: 401 UNAUTHENTICATED."""
    response = client.get(f"{BASE}/categories")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


def test_client_without_scope_is_403(client, shipped):
    """A valid key without catalog:read: 403 FORBIDDEN."""
    _, key = create_client(actor=Actor.system("tests"), name="auditor", scopes=["audit:read"])
    response = client.get(f"{BASE}/categories", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_staff_session_with_view_permission(client, shipped):
    """Staff with the view permission behind catalog:read may read; staff without it may not."""
    user = User.objects.create_user("alice", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(f"{BASE}/purposes").status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_datacategory"))
    assert client.get(f"{BASE}/purposes").status_code == 200


def test_categories_filter_by_grade_and_parent(api):
    """grade= and parent= narrow the list; each row carries its grade level."""
    sensitive = api.get(f"{BASE}/categories", {"grade": "sensitive"}).json()
    assert {"user.id_info", "user.location.precise"} <= {c["key"] for c in sensitive}
    assert {(c["grade"], c["level"], c["sensitive"]) for c in sensitive} == {
        ("sensitive", "L4", True)}
    children = api.get(f"{BASE}/categories", {"parent": "user.contact"}).json()
    assert [c["key"] for c in children] == [
        "user.contact.phone", "user.contact.email", "user.contact.other"]
    assert api.get(f"{BASE}/categories", {"grade": "secret"}).status_code == 422


def test_get_one_of_each(api):
    """Every kind of entry is found by its key."""
    assert api.get(f"{BASE}/categories/user.id_info").json()["parent"] == "user"
    assert api.get(f"{BASE}/purposes/security").json()["legal_basis"] == "legal_obligation"
    basis = api.get(f"{BASE}/legal-bases/exception.safe_operation").json()
    assert (basis["pipl_13"], basis["only_with"]) == (None, ["contract"])
    assert api.get(f"{BASE}/systems/pi_vault").json()["region"] == "CN"
    assert api.get(f"{BASE}/recipients/authority.competent").json()["role"] == "authority"
    activity = api.get(f"{BASE}/activities/payment.checkout").json()
    assert activity["purpose"] == "payment.invoicing" and "user.id_info" in activity["categories"]
    assert activity["recipients"] == ["processor.payment"]


@pytest.mark.parametrize("path", ["categories/user.wechat_id", "purposes/x", "legal-bases/x",
                                  "activities/x", "systems/x", "recipients/x"])
def test_unknown_key_is_404_not_found(api, path):
    """An unknown key: 404 with the NOT_FOUND code."""
    response = api.get(f"{BASE}/{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_activities_filter_by_purpose_and_category(api):
    """purpose= matches exactly; category= also matches activities naming its children."""
    by_purpose = api.get(f"{BASE}/activities", {"purpose": "marketing.email"}).json()
    assert [a["key"] for a in by_purpose] == ["marketing.email_campaigns"]
    by_category = {a["key"] for a in api.get(
        f"{BASE}/activities", {"category": "user.financial"}).json()}
    assert {"payment.checkout", "payment.invoice", "retention.legal_hold"} <= by_category
    assert "log.access" not in by_category


def test_lists_leave_retired_entries_out_unless_asked(api, write):
    """Retired entries are hidden from lists but still found by key."""
    load_catalog(actor=Actor.system("tests"), path=write(MINIMAL))
    keys = {p["key"] for p in api.get(f"{BASE}/purposes").json()}
    assert keys == {"marketing.email"}
    everything = api.get(f"{BASE}/purposes", {"include_retired": "true"}).json()
    assert len(everything) > 1
    assert api.get(f"{BASE}/purposes/security").json()["retired"] is True


def test_export_yaml(api):
    """GET export.yaml returns the catalog file for what is loaded."""
    response = api.get(f"{BASE}/export.yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(response.content) == catalog_document()


def test_export_before_any_load_is_404(client, db):
    """Nothing loaded yet: NOT_FOUND rather than an empty document."""
    CatalogRelease.objects.all().delete()  # in case the session already loaded the catalog
    _, key = create_client(actor=Actor.system("tests"), name="website", scopes=["catalog:read"])
    response = client.get(f"{BASE}/export.yaml", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"


def test_openapi_documents_the_catalog(api):
    """The response schemas appear in OpenAPI."""
    schema = api.get("/api/v1/openapi.json").json()
    assert "CategoryOut" in schema["components"]["schemas"]
    assert f"{BASE}/activities" in schema["paths"]
