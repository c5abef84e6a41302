import json

import pytest
from django.core.management import call_command

from piwarden.accounts.models import Account
from piwarden.clients.models import ApiClient

pytestmark = pytest.mark.django_db


def test_demo_creates_logins_once(settings, tmp_path, capsys):
    """`piwarden demo` makes a staff login, an API key and a person who can sign in."""
    settings.DATA_DIR = tmp_path
    call_command("demo")
    credentials = json.loads((tmp_path / "demo-credentials.txt").read_text())
    assert "consent:decide" in credentials["scopes"]
    assert Account.objects.count() == 1
    call_command("demo")
    assert ApiClient.objects.filter(name="demo-site").count() == 1
    assert Account.objects.count() == 1
    assert credentials["person_password"] in capsys.readouterr().out
