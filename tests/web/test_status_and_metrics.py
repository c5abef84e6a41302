"""/status tells a monitor whether background work is done; /metrics feeds Prometheus."""

import datetime
import uuid

import pytest
from django.utils import timezone

from piwarden.clients import services as clients
from piwarden.jobs.models import WorkerBeat

pytestmark = pytest.mark.django_db


def _beat(seconds_ago: float) -> None:
    WorkerBeat.objects.create(worker_id=f"host:1:{uuid.uuid4().hex[:6]}", hostname="host",
                              pid=1, beat_at=timezone.now()
                              - datetime.timedelta(seconds=seconds_ago))


def test_status_without_a_live_worker_asks_for_attention(client):
    response = client.get("/status")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["worker"]["alive"] is False


def test_status_with_a_beating_worker_is_ok(client):
    _beat(2)
    response = client.get("/status")
    assert response.status_code == 200
    body = response.json()
    assert body["worker"] == {"alive": True, "count": 1, "last_beat_age_s": pytest.approx(2, 1)}
    assert body["tasks"]["ready_due"] == 0


def test_a_dead_worker_does_not_fail_the_load_balancers_check(client):
    """/healthz is the web liveness check: it never looks at the worker."""
    _beat(3600)
    assert client.get("/status").status_code == 503
    assert client.get("/healthz").status_code == 200


@pytest.fixture
def key(system_actor):
    def make(*scopes):
        return clients.create_client(actor=system_actor, name=f"m-{uuid.uuid4()}",
                                     scopes=list(scopes))[1]
    return make


def test_metrics_need_the_metrics_scope(client, key):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer pwk_nope_nope").status_code == 401
    refused = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {key('catalog:read')}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"


def test_metrics_report_requests_queue_workers_and_the_audit_chain(client, key):
    _beat(1)
    client.get("/healthz")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {key('metrics:read')}")
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("piwarden_http_request_seconds_bucket{", 'route="healthz"',
                 "piwarden_tasks_ready_due", "piwarden_tasks_oldest_due_age_s",
                 "piwarden_tasks_workers 1.0", "piwarden_worker_last_beat_age_s",
                 "piwarden_consent_writes_total", "piwarden_decisions_total",
                 "piwarden_events_ingested_total", "piwarden_erasures_total",
                 "piwarden_audit_chain_ok"):
        assert name in text, name
