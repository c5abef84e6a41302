"""Incident permissions in the role registry: handlers, the closer, read-only auditors."""

import pytest
from django.contrib.auth.models import Group

from piwarden.incidents import tasks
from piwarden.jobs.models import Job
from piwarden.roles import registry
from piwarden.roles.services import sync_groups

pytestmark = pytest.mark.django_db


def test_incident_permissions_sync_onto_the_role_groups(system_actor):
    sync_groups(actor=system_actor)

    def codenames(key):
        group = Group.objects.get(name=registry.get(key).group_name)
        return set(group.permissions.filter(content_type__app_label="incidents")
                   .values_list("codename", flat=True))

    assert {"close_incident", "change_incident", "add_drill"} <= codenames("security_officer")
    assert {"close_incident", "change_incident"} <= codenames("privacy_officer")
    assert "add_regulatorsubmission" in codenames("legal")
    auditor = codenames("auditor")
    assert "view_incident" in auditor and "export_incident" in auditor
    assert not {c for c in auditor if c.startswith(("add_", "change_", "close_"))}


def test_checks_are_scheduled_once():
    assert tasks.ensure_scheduled() is True
    assert tasks.ensure_scheduled() is False
    assert Job.objects.filter(task_path__endswith="incidents.tasks.run_checks").count() == 1
