import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from piwarden.audit.models import AuditEvent
from piwarden.vault import keys
from piwarden.vault import services as vault

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("vault", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def key_file_dir(settings, tmp_path, monkeypatch):
    monkeypatch.delenv(keys.ENV_VAR)
    settings.DATA_DIR = tmp_path
    keys.reset_provider()
    return tmp_path


def test_add_rotate_and_retire_a_master_key(key_file_dir, actor, make_subject):
    people = [make_subject() for _ in range(3)]
    for n, who in enumerate(people):
        vault.put(actor=actor, subject=who, field="email", value=f"user{n}@example.com",
                  purpose="account.registration")
    assert json.loads(run("status", "--json"))["versions_in_use"] == [1]

    assert "master key v2 added" in run("add-key")
    status = json.loads(run("status", "--json"))
    assert (status["configured_versions"], status["current_version"]) == ([1, 2], 1)
    assert "0 data keys re-wrapped" in run("rotate")  # v2 is only pending
    assert "master key v2 is current" in run("activate-key", "2")
    status = json.loads(run("status", "--json"))
    assert (status["current_version"], status["versions_in_use"]) == (2, [1])
    with pytest.raises(CommandError, match="still in use"):
        run("retire-key", "1")

    assert "3 data keys re-wrapped, 3 blind indexes re-made" in run("rotate", "--batch-size",
                                                                    "2")
    text = run("status")
    assert "v2: 3 data keys" in text and "retirable versions: [1]" in text

    assert "master key v1 destroyed" in run("retire-key", "1")
    assert keys.get_provider().versions() == [2]
    assert vault.find_subject_ids("email", "USER1@example.com") == [people[1].pk]
    assert vault.reveal(actor=actor, subject=people[2], field="email",
                        purpose="account.registration") == "user2@example.com"
    actions = list(AuditEvent.objects.filter(action__startswith="vault.master_key")
                   .values_list("action", "detail"))
    assert actions == [("vault.master_key_added", {"version": 2}),
                       ("vault.master_key_activated", {"version": 2}),
                       ("vault.master_key_retired", {"version": 1})]


def test_add_key_refused_with_environment_keys():
    with pytest.raises(CommandError, match="PIWARDEN_MASTER_KEYS"):
        run("add-key")
