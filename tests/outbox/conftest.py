"""Fixtures of the outbox tests: the named catalog with one active flow, so that egress lets
messages through to the local receiver (127.0.0.1 is a host of partner.business)."""

import pytest

from tests.receiver import Receiver
from tests.sharing.conftest import (  # noqa: F401  (fixtures)
    _sharing_dir,
    activate,
    named_catalog,
    registry_synced,
)


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run when enqueued (after the commit that queues them), in this process."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def open_egress(request):
    """An active processor whose declared hosts include 127.0.0.1."""
    return request.getfixturevalue("activate")("sharing.processors", "partner.business")


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server
