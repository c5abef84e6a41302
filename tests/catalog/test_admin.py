"""The catalog in the staff console is strictly read-only."""

import pytest
from django.urls import reverse

from piwarden.catalog.models import (
    CatalogRelease,
    DataCategory,
    LegalBasis,
    ProcessingActivity,
    Purpose,
    Recipient,
    System,
)

pytestmark = pytest.mark.django_db
MODELS = [DataCategory, LegalBasis, Purpose, System, Recipient, ProcessingActivity,
          CatalogRelease]


def _url(model, view, *args):
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_is_shown_and_add_is_forbidden(shipped, admin_client, model):
    """Even a superuser can list and view, but not add, change or delete."""
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "add")).status_code == 403
    row = model.objects.first()
    page = admin_client.get(_url(model, "change", row.pk))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_category_filters_and_search(shipped, admin_client):
    """Grade, sensitive and retired filters and key search work on the category list."""
    url = _url(DataCategory, "changelist")
    page = admin_client.get(url, {"sensitive": "yes", "q": "user.financial"})
    assert b"user.financial.bank_account" in page.content
    assert b"user.contact.email" not in page.content
    assert admin_client.get(url, {"grade": "public", "retired__exact": "0"}).status_code == 200
