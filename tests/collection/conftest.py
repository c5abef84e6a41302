import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from piwarden.audit.actors import Actor
from piwarden.catalog.services import load_catalog
from piwarden.clients import services as clients
from piwarden.consent import services as consent

NOTICE = "We use your location to show nearby service points. You can withdraw at any time."
URL = "/api/v1/collection/events"


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """Every collection test decides on consent: no cached decision may outlive a test."""


@pytest.fixture
def grant():
    def grant(subject, purpose):
        for scope in consent.applicable_scopes(purpose):
            consent.grant(actor=Actor.person(subject), subject=subject, purpose=purpose,
                          scope=scope, notice_text=NOTICE, channel="web")
    return grant


@pytest.fixture
def api(client, system_actor):
    """A test client holding a fresh API key with the given scopes."""
    def make(*scopes):
        _, key = clients.create_client(actor=system_actor, name=f"site-{uuid.uuid4()}",
                                       scopes=list(scopes))
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        return client
    return make


@pytest.fixture
def catalog_with(tmp_path, system_actor):
    """Load the shipped catalog with some text replaced (rolled back with the test)."""
    def load(old: str, new: str):
        text = Path(settings.PIWARDEN_CATALOG_FILE).read_text(encoding="utf-8")
        assert old in text
        path = tmp_path / "catalog.yaml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        load_catalog(actor=system_actor, path=path)
    return load


def event(event_id=None, kind="page_view", subject=None, when=None, **data):
    out = {"event_id": event_id or uuid.uuid4().hex, "kind": kind,
           "occurred_at": (when or timezone.now()).isoformat(), "data": data}
    if subject is not None:
        out["subject"] = str(subject.pk if hasattr(subject, "pk") else subject)
    return out
