"""Alerts that must outlive the caller: the refusal of egress control commits on its own, and
``raise_alert`` refuses to run where it would commit on its own by accident."""

import threading

import pytest
from django.db import connection

from piwarden.alerts import services
from piwarden.alerts.models import Alert
from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent
from piwarden.sharing import egress


def test_z_2_egress_refusal_is_committed_on_its_own(committed_db, settings):
    """The alert and the denied record are committed before the error reaches the caller:
    another connection sees them, whatever the caller does next."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    before = AuditEvent.objects.count()
    try:
        with pytest.raises(egress.EgressRefused):
            egress.post("http://127.0.0.2:9/upload", actor=Actor.system("tests.job"),
                        content=b"records")
        seen = {}

        def look():
            try:
                seen["alerts"] = Alert.objects.filter(kind="egress.refused").count()
                seen["denied"] = AuditEvent.objects.filter(
                    seq__gt=before, action="sharing.egress_refused", outcome="denied").count()
            finally:
                connection.close()
        thread = threading.Thread(target=look)
        thread.start()
        thread.join()
        assert seen == {"alerts": 1, "denied": 1}
    finally:
        Alert.objects.filter(kind="egress.refused").delete()


def test_z_2_raise_alert_runs_only_inside_the_callers_transaction(committed_db):
    with pytest.raises(services.AlertError) as refused:
        services.raise_alert(kind="egress.refused", severity="high", source="tests",
                             summary="Refused.")
    assert refused.value.code == "NOT_IN_TRANSACTION"
    assert not Alert.objects.exists()
